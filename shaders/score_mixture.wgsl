// Exact ε-prediction of an isotropic Gaussian mixture under VP noise:
// ε̂ = σ Σ r_k (x − a μ_k) / C_k,  C_k = a² s_k² + σ², with an online
// log-sum-exp over components. Twin of ExactMixture::eps_hat (src/model).

struct Component {
    mean: vec2<f32>,
    variance: f32,   // s_k² at t = 0
    log_weight: f32,
}

@group(0) @binding(2) var<storage, read> components: array<Component>;

fn eps_hat(x: vec2<f32>, alpha: f32, sigma: f32, n_components: u32) -> vec2<f32> {
    // Lowest finite f32, as an exact hex literal (Tint rejects the rounded
    // decimal -3.4028235e38 as unrepresentable).
    var m = -0x1.fffffep+127f;
    var acc = vec2<f32>(0.0);
    var z = 0.0;
    for (var k = 0u; k < n_components; k++) {
        let c = components[k];
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
