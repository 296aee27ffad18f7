// Exact ε-prediction of an isotropic Gaussian mixture under VP noise:
// ε̂ = σ Σ r_k (x − a μ_k) / C_k,  C_k = a² s_k² + σ², with an online
// log-sum-exp over the components of the chosen class (all of them when
// class_id is CLASS_ALL). Twin of ExactMixture::eps_hat (core/src/model/exact.rs).

struct Component {
    mean: vec2<f32>,
    variance: f32,   // s_k² at t = 0
    log_weight: f32,
    label: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(2) var<storage, read> components: array<Component>;

// `level` (the MLP's time-table row) is unused: the mixture's score is closed-form in (a, σ).
fn eps_hat(x: vec2<f32>, level: u32, alpha: f32, sigma: f32, class_id: u32, n_components: u32) -> vec2<f32> {
    // Lowest finite f32, as an exact hex literal (Tint rejects the rounded
    // decimal -3.4028235e38 as unrepresentable).
    var m = -0x1.fffffep+127f;
    var acc = vec2<f32>(0.0);
    var z = 0.0;
    for (var k = 0u; k < n_components; k++) {
        let c = components[k];
        if (class_id != CLASS_ALL && c.label != class_id) {
            continue;
        }
        let v = alpha * alpha * c.variance + sigma * sigma;
        let d = x - alpha * c.mean;
        let logit = c.log_weight - dot(d, d) / (2.0 * v) - log(v);
        let m_new = max(m, logit);
        let rescale = exp(m - m_new);
        let w = exp(logit - m_new);
        acc = acc * rescale + w * d / v;
        z = z * rescale + w;
        m = m_new;
    }
    return sigma * acc / z;
}


// ∇ log p_t(class | x) of the mixture, exactly: s_c − s = (ε̂_u − ε̂_c)/σ
// (twin of ScoreModel::log_class_grad_block).
fn log_class_grad(x: vec2<f32>, eps_u: vec2<f32>, level: u32, alpha: f32, sigma: f32, class_id: u32, n_components: u32) -> vec2<f32> {
    let eps_c = eps_hat(x, level, alpha, sigma, class_id, n_components);
    return (eps_u - eps_c) / sigma;
}

// One particle a thread (sample.wgsl's tile contract: thread lid < TILE
// owns a particle; here every thread does, and none needs the others).
const TILE: u32 = 64u;
const WG: u32 = 64u;

fn eps_tile(lid: u32, x: vec2<f32>, level: u32, alpha: f32, sigma: f32, class_id: u32, n_components: u32) -> vec2<f32> {
    return eps_hat(x, level, alpha, sigma, class_id, n_components);
}

fn log_class_grad_tile(lid: u32, x: vec2<f32>, eps_u: vec2<f32>, level: u32, alpha: f32, sigma: f32, class_id: u32, n_components: u32) -> vec2<f32> {
    return log_class_grad(x, eps_u, level, alpha, sigma, class_id, n_components);
}

// (ε̂, tr ∂ε̂/∂x) over all components, for the likelihood (likelihood.wgsl):
// with d_k = x − a μ_k and C_k = a² s_k² + σ², the score's Jacobian is
// Σ r_k d_k d_kᵀ/C_k² − s sᵀ − (Σ r_k/C_k) I (s = −Σ r_k d_k/C_k), and
// ε̂ = −σ s. Twin of ExactMixture::eps_hat_trace.
fn eps_trace(x: vec2<f32>, alpha: f32, sigma: f32, n_components: u32) -> vec3<f32> {
    var m = -0x1.fffffep+127f;
    var acc = vec2<f32>(0.0);
    var q = 0.0;
    var ic = 0.0;
    var z = 0.0;
    for (var k = 0u; k < n_components; k++) {
        let c = components[k];
        let v = alpha * alpha * c.variance + sigma * sigma;
        let d = x - alpha * c.mean;
        let dd = dot(d, d);
        let logit = c.log_weight - dd / (2.0 * v) - log(v);
        let m_new = max(m, logit);
        let rescale = exp(m - m_new);
        let w = exp(logit - m_new);
        acc = acc * rescale + w * d / v;
        q = q * rescale + w * dd / (v * v);
        ic = ic * rescale + w / v;
        z = z * rescale + w;
        m = m_new;
    }
    let s = acc / z;
    return vec3<f32>(sigma * s, -sigma * (q / z - dot(s, s) - 2.0 * ic / z));
}

fn eps_trace_tile(lid: u32, x: vec2<f32>, level: u32, alpha: f32, sigma: f32, n_components: u32) -> vec3<f32> {
    return eps_trace(x, alpha, sigma, n_components);
}
