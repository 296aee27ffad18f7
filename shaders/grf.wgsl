// The GRF lab's Langevin steps on many n × n fields at once (science::grf):
// x ← x + ε s_σ(x) + √(2ε) z with s_σ = −IDFT(DFT(x)/(P + σ²)). One step is
// three dispatches, each a workgroup per line (a row or a column of one
// field) that keeps the line in workgroup memory (2 × 128 complex values,
// 2 KiB) and runs a radix-2 Stockham FFT on it with one butterfly per thread
// per stage (science::grf::Fft, the same twiddles in the same order):
//   rows_forward    the rows' DFT of the real fields into `spec`;
//   columns_filter  each column's DFT, times −1/((P + σ²) n²), and back;
//   rows_update     the rows' inverse DFT (the score s), then the update of x
//                   with z from the counter-based RNG (prepended rng.wgsl).
// Twin of engine::grf::GrfRun::run_steps.

const MAX_N: u32 = 128u;
const THREADS: u32 = 64u;

struct GrfParams {
    n: u32,
    fields: u32,
    seed: u32,
    step: u32,
    sigma2: f32,
    eps: f32,
    // √(2ε)
    noise: f32,
    pad: u32,
}

@group(0) @binding(0) var<uniform> gp: GrfParams;
@group(0) @binding(1) var<storage, read_write> field: array<f32>;
@group(0) @binding(2) var<storage, read_write> spec: array<vec2<f32>>;
// P at DFT index ky·n + kx.
@group(0) @binding(3) var<storage, read> power: array<f32>;
// e^{−2πik/n}, k < n/2.
@group(0) @binding(4) var<storage, read> twiddle: array<vec2<f32>>;

// Two halves: the Stockham ping-pong.
var<workgroup> buf: array<vec2<f32>, 256>;

fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

// The unnormalised DFT of the line at buf[start .. start + n] (inverse: with
// e^{+2πi…}); returns where the result lies (0 or MAX_N). Uniform control
// flow: every thread of the workgroup calls it.
fn fft_line(tid: u32, start: u32, inverse: bool) -> u32 {
    let n = gp.n;
    let half = n / 2u;
    var src = start;
    for (var ns = 1u; ns < n; ns = ns * 2u) {
        let dst = MAX_N - src;
        for (var j = tid; j < half; j += THREADS) {
            let v0 = buf[src + j];
            var w = twiddle[(j % ns) * (half / ns)];
            if (inverse) {
                w.y = -w.y;
            }
            let v1 = cmul(buf[src + j + half], w);
            let idx = (j / ns) * ns * 2u + j % ns;
            buf[dst + idx] = v0 + v1;
            buf[dst + idx + ns] = v0 - v1;
        }
        workgroupBarrier();
        src = dst;
    }
    return src;
}

fn line_index(wid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return wid.y * groups.x + wid.x;
}

@compute @workgroup_size(64)
fn rows_forward(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let line = line_index(wid, groups);
    let n = gp.n;
    if (line >= gp.fields * n) {
        return;
    }
    let base = line * n;
    for (var c = tid; c < n; c += THREADS) {
        buf[c] = vec2<f32>(field[base + c], 0.0);
    }
    workgroupBarrier();
    let at = fft_line(tid, 0u, false);
    for (var c = tid; c < n; c += THREADS) {
        spec[base + c] = buf[at + c];
    }
}

@compute @workgroup_size(64)
fn columns_filter(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let line = line_index(wid, groups);
    let n = gp.n;
    if (line >= gp.fields * n) {
        return;
    }
    let f = line / n;
    let c = line % n;
    let base = f * n * n + c;
    for (var r = tid; r < n; r += THREADS) {
        buf[r] = spec[base + r * n];
    }
    workgroupBarrier();
    let at = fft_line(tid, 0u, false);
    let nn = f32(n * n);
    for (var r = tid; r < n; r += THREADS) {
        let h = -1.0 / ((power[r * n + c] + gp.sigma2) * nn);
        buf[at + r] = buf[at + r] * h;
    }
    workgroupBarrier();
    let back = fft_line(tid, at, true);
    for (var r = tid; r < n; r += THREADS) {
        spec[base + r * n] = buf[back + r];
    }
}

@compute @workgroup_size(64)
fn rows_update(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let line = line_index(wid, groups);
    let n = gp.n;
    if (line >= gp.fields * n) {
        return;
    }
    let base = line * n;
    for (var c = tid; c < n; c += THREADS) {
        buf[c] = spec[base + c];
    }
    workgroupBarrier();
    let at = fft_line(tid, 0u, true);
    let half = n / 2u;
    for (var j = tid; j < half; j += THREADS) {
        let z = gaussian2(gp.seed, line * half + j, gp.step, 0u);
        field[base + j] = field[base + j] + gp.eps * buf[at + j].x + gp.noise * z.x;
        field[base + j + half] = field[base + j + half] + gp.eps * buf[at + j + half].x + gp.noise * z.y;
    }
}
