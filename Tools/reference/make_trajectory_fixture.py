"""Reference values for trajectory imitation, from DiffSynth-Studio's own code.

Runs DiffSynth-Studio's `TrajectoryImitationLoss.align_trajectory` (diffsynth/diffusion/loss.py)
and `FlowMatchScheduler("Qwen-Image")` (diffsynth/diffusion/flow_match.py) unchanged, on a mock
pipeline whose denoiser is affine (`v = A * x + B * t / 1000`, A and B fixed tensors), and writes
what the Swift test needs to reproduce the per-step terms and the loss:

* the student's 4-step schedule (`set_timesteps(4, training=True)`: mu 0.8) and its training weights;
* the teacher's 12-step schedule snapped onto the student's levels (sigma and timestep, our rule:
  `Schedule.snapped(to:)`), the teacher being another affine model sampled with Euler from
  `torch.randn(shape, generator=torch.Generator('cpu').manual_seed(seed))`;
* each alignment term `mse(v_student, (x_next - x) / (sigma_next - sigma)) * weight` and their sum.

    python Tools/reference/make_trajectory_fixture.py PATH/TO/DiffSynth-Studio
writes Tests/DiffSynthTests/Fixtures/training/trajectory_imitation.json
"""
import json, pathlib, sys, types
import torch

root = pathlib.Path(sys.argv[1])
# Load the two reference modules without importing the whole package (which needs GPUs' extras).
package = types.ModuleType("diffsynth_ref"); package.__path__ = []
sys.modules["diffsynth_ref"] = package
base = types.ModuleType("diffsynth_ref.base_pipeline"); base.BasePipeline = object
sys.modules["diffsynth_ref.base_pipeline"] = base
flow = {}
exec(compile((root / "diffsynth/diffusion/flow_match.py").read_text(), "flow_match.py", "exec"), flow)
loss_module = types.ModuleType("diffsynth_ref.loss"); loss_module.__package__ = "diffsynth_ref"
exec(compile((root / "diffsynth/diffusion/loss.py").read_text(), "loss.py", "exec"), loss_module.__dict__)
FlowMatchScheduler = flow["FlowMatchScheduler"]

shape = (1, 3, 2, 5)
g = torch.Generator("cpu").manual_seed(1234)
A = (torch.rand(shape, generator=g) - 0.5) * 0.8
B = torch.rand(shape, generator=g) - 0.5
TA = (torch.rand(shape, generator=g) - 0.5) * 0.6
TB = torch.rand(shape, generator=g) - 0.5

class MockPipe:
    """What align_trajectory touches: scheduler, torch_dtype, device, model_fn, cfg_guided_model_fn, step."""
    def __init__(self):
        self.scheduler = FlowMatchScheduler("Qwen-Image")
        self.torch_dtype, self.device, self.in_iteration_models = torch.float32, "cpu", []
    def model_fn(self, latents, timestep, **kwargs):
        return latents * A + B * (timestep / 1000)
    def cfg_guided_model_fn(self, model_fn, cfg_scale, inputs_shared, inputs_posi, inputs_nega, **others):
        assert cfg_scale == 1
        return model_fn(**inputs_posi, **inputs_shared, **others)
    def step(self, scheduler, latents, progress_id, noise_pred, **kwargs):
        return scheduler.step(noise_pred, scheduler.timesteps[progress_id], latents)

pipe = MockPipe()
student_steps, teacher_steps, seed = 4, 12, 77
pipe.scheduler.set_timesteps(student_steps, training=True)
student_sigmas, student_timesteps = pipe.scheduler.sigmas.clone(), pipe.scheduler.timesteps.clone()
weights = pipe.scheduler.linear_timesteps_weights.clone()

# The teacher's grid, snapped so that it passes through every student level.
teacher_sigmas, teacher_timesteps = FlowMatchScheduler.set_timesteps_qwen_image(teacher_steps)
teacher_sigmas, teacher_timesteps = teacher_sigmas.clone(), teacher_timesteps.clone()
for k in range(student_steps):
    j = int(torch.argmin((teacher_timesteps - student_timesteps[k]).abs()))
    teacher_sigmas[j], teacher_timesteps[j] = student_sigmas[k], student_timesteps[k]
full = torch.cat([teacher_sigmas, torch.zeros(1)])
latents = torch.randn(shape, generator=torch.Generator("cpu").manual_seed(seed))
trajectory = [latents.clone()]
for j in range(teacher_steps):
    v = latents * TA + TB * (teacher_timesteps[j] / 1000)
    latents = latents + v * (full[j + 1] - full[j])
    trajectory.append(latents.clone())

# DiffSynth's alignment loss, and its terms one by one (same arithmetic, summed in order).
loss = loss_module.TrajectoryImitationLoss().align_trajectory(
    pipe, teacher_timesteps, trajectory, {"latents": None}, {}, {}, student_steps, 1)
terms = []
pipe.scheduler.set_timesteps(student_steps, training=True)
for k, t in enumerate(pipe.scheduler.timesteps):
    j = int(torch.argmin((teacher_timesteps - t).abs()))
    x = trajectory[j]
    nxt = trajectory[-1] if k + 1 == student_steps else trajectory[int(torch.argmin((teacher_timesteps - pipe.scheduler.timesteps[k + 1]).abs()))]
    sigma_next = 0 if k + 1 == student_steps else pipe.scheduler.sigmas[k + 1]
    target = (nxt - x) / (sigma_next - pipe.scheduler.sigmas[k])
    terms.append(float(torch.nn.functional.mse_loss(pipe.model_fn(x, t.unsqueeze(0)), target) * pipe.scheduler.training_weight(t)))

out = {
    "shape": list(shape), "seed": seed, "student_steps": student_steps, "teacher_steps": teacher_steps, "mu": 0.8,
    "A": A.flatten().tolist(), "B": B.flatten().tolist(), "teacher_A": TA.flatten().tolist(), "teacher_B": TB.flatten().tolist(),
    "student_sigmas": student_sigmas.tolist(), "student_timesteps": student_timesteps.tolist(), "weights": weights.tolist(),
    "teacher_sigmas": teacher_sigmas.tolist(), "teacher_timesteps": teacher_timesteps.tolist(),
    "terms": terms, "loss": float(loss),
}
path = pathlib.Path(__file__).resolve().parents[2] / "Tests/DiffSynthTests/Fixtures/training/trajectory_imitation.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print(path, "loss", float(loss), "terms", terms)
