/// The CUDA backend's kernels, as CUDA C++ source that NVRTC compiles at run time for the GPU in
/// use (PTX cached per architecture by ``CUDAKernelCache``).
///
/// Hand-written because no library offers these element-wise and row kernels with the engine's
/// exact semantics (candle's route): matrix products go to cuBLAS instead. The sources include no
/// header (NVRTC then needs no CUDA include folder); BF16 is widened by shifting its bits, exactly
/// as the CPU path does. Every kernel takes its element count as `long long` and strides a grid.
public enum CUDAKernelSources {
    /// A named translation unit and the kernels it defines.
    public struct Unit: Sendable {
        /// The name NVRTC reports errors under (`elementwise.cu`).
        public let name: String
        /// Its `extern "C"` kernels.
        public let kernels: [String]
        /// CUDA C++ source.
        public let source: String
    }

    /// Element-wise kernels: arithmetic, activations, BF16 widening.
    public static let elementwise = Unit(
        name: "elementwise.cu",
        kernels: ["diffsynth_add_f32", "diffsynth_mul_f32", "diffsynth_silu_f32", "diffsynth_gelu_tanh_f32", "diffsynth_bf16_to_f32"],
        source: """
        #define GRID_STRIDE(i, n) for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < (n); \\
                                       i += (long long)blockDim.x * gridDim.x)
        extern "C" __global__ void diffsynth_add_f32(const float* a, const float* b, float* out, long long n) {
            GRID_STRIDE(i, n) out[i] = a[i] + b[i];
        }
        extern "C" __global__ void diffsynth_mul_f32(const float* a, const float* b, float* out, long long n) {
            GRID_STRIDE(i, n) out[i] = a[i] * b[i];
        }
        extern "C" __global__ void diffsynth_silu_f32(const float* x, float* out, long long n) {
            GRID_STRIDE(i, n) { float v = x[i]; out[i] = v / (1.0f + expf(-v)); }
        }
        // PyTorch's gelu(approximate="tanh"): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
        extern "C" __global__ void diffsynth_gelu_tanh_f32(const float* x, float* out, long long n) {
            GRID_STRIDE(i, n) {
                float v = x[i];
                out[i] = 0.5f * v * (1.0f + tanhf(0.7978845608028654f * (v + 0.044715f * v * v * v)));
            }
        }
        extern "C" __global__ void diffsynth_bf16_to_f32(const unsigned short* x, float* out, long long n) {
            GRID_STRIDE(i, n) out[i] = __int_as_float(((int)x[i]) << 16);
        }
        """)

    /// Row kernels: one block of 256 threads per row, reductions in shared memory.
    public static let rows = Unit(
        name: "rows.cu",
        kernels: ["diffsynth_softmax_rows_f32", "diffsynth_rms_norm_rows_f32"],
        source: """
        // Block-wide reduction of one value per thread (blockDim.x == 256).
        __device__ float block_reduce(float v, float* shared, bool take_max) {
            shared[threadIdx.x] = v;
            __syncthreads();
            for (int s = blockDim.x / 2; s > 0; s >>= 1) {
                if (threadIdx.x < s) {
                    float o = shared[threadIdx.x + s];
                    shared[threadIdx.x] = take_max ? fmaxf(shared[threadIdx.x], o) : shared[threadIdx.x] + o;
                }
                __syncthreads();
            }
            float r = shared[0];
            __syncthreads();
            return r;
        }
        // softmax over the last axis of a [rows, cols] matrix, max-subtracted as torch does.
        extern "C" __global__ void diffsynth_softmax_rows_f32(const float* x, float* out, int rows, int cols) {
            __shared__ float shared[256];
            const float* in = x + (long long)blockIdx.x * cols;
            float* o = out + (long long)blockIdx.x * cols;
            float m = -__int_as_float(0x7f800000);  // -inf (NVRTC has no math.h macros without headers)
            for (int j = threadIdx.x; j < cols; j += blockDim.x) m = fmaxf(m, in[j]);
            m = block_reduce(m, shared, true);
            float s = 0.0f;
            for (int j = threadIdx.x; j < cols; j += blockDim.x) s += expf(in[j] - m);
            s = block_reduce(s, shared, false);
            for (int j = threadIdx.x; j < cols; j += blockDim.x) o[j] = expf(in[j] - m) / s;
        }
        // RMSNorm over the last axis with a per-column weight: x * rsqrt(mean(x^2) + eps) * w.
        extern "C" __global__ void diffsynth_rms_norm_rows_f32(const float* x, const float* w, float* out, int rows, int cols, float eps) {
            __shared__ float shared[256];
            const float* in = x + (long long)blockIdx.x * cols;
            float* o = out + (long long)blockIdx.x * cols;
            float s = 0.0f;
            for (int j = threadIdx.x; j < cols; j += blockDim.x) s += in[j] * in[j];
            s = block_reduce(s, shared, false);
            float scale = rsqrtf(s / cols + eps);
            for (int j = threadIdx.x; j < cols; j += blockDim.x) o[j] = in[j] * scale * w[j];
        }
        """)

    /// Every unit the backend compiles.
    public static let all = [elementwise, rows]
}
