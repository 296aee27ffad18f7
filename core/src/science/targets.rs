//! What a network predicts (SCIENCE.md §2), and how every sampler reads it
//! as ε̂. One network, four targets, trained on the VP SDE's noising (ε, x0,
//! v) or on the linear path of flow matching:
//!
//! - `eps`: ε (the shipped models);
//! - `x0`: x0, read as `ε̂ = (x_t − a x̂0)/σ`;
//! - `v`: `v = a ε − σ x0`, read as `ε̂ = σ x_t + a v̂`;
//! - `flow`: the velocity `u = ε − x0` of `x_s = (1−s) x0 + s ε`, read at
//!   the flow time `s = σ/(a + σ)` of the VP level (the same noise-to-signal
//!   ratio) on the rescaled input `x_t/(a + σ)`, as `ε̂ = x_s + (1−s) û`.
//!
//! Every reading is `ε̂ = A·x + B·net(C·x, t′)` with per-level scalars
//! ([`Target::reading`]): the kernels and the CPU twin apply the same three
//! numbers, and an ε-network is `(A, B, C) = (0, 1, 1)`, exactly itself.
//! The training losses carry the weights that make them the ε-loss
//! ([`Target::training_pair`]): x0 `(a/σ)²`, v `a²`, flow `(1−s)²`.

use super::schedule::VpSde;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Target {
    #[default]
    Eps,
    X0,
    V,
    Flow,
}

/// How one level reads the network: its input time `t′` and `ε̂ = A x + B net(C x, t′)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reading {
    pub t: f32,
    pub a: f32,
    pub b: f32,
    pub c: f32,
}

impl Target {
    pub const ALL: [Target; 4] = [Target::Eps, Target::X0, Target::V, Target::Flow];

    pub fn id(self) -> &'static str {
        match self {
            Target::Eps => "eps",
            Target::X0 => "x0",
            Target::V => "v",
            Target::Flow => "flow",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.id() == id)
    }

    /// The reading at VP network time `t` (the samplers' levels; VE levels
    /// are read at their VP time already, with the input rescaled by the plan).
    pub fn reading(self, t: f32) -> Reading {
        let ab = VpSde::default().alpha_bar(t as f64);
        let (a, s) = (ab.sqrt(), (1.0 - ab).sqrt());
        let (t2, aa, bb, cc) = match self {
            Target::Eps => (t as f64, 0.0, 1.0, 1.0),
            Target::X0 => (t as f64, 1.0 / s, -a / s, 1.0),
            Target::V => (t as f64, s, a, 1.0),
            Target::Flow => (s / (a + s), 1.0 / (a + s), a / (a + s), 1.0 / (a + s)),
        };
        Reading { t: t2 as f32, a: aa as f32, b: bb as f32, c: cc as f32 }
    }

    /// A training example from data `x0`, noise `ε` and the drawn time `t`
    /// (VP network time, or for `flow` the path's time): the network's input
    /// `x_t`, the target it should output, and the loss weight that makes
    /// the term the ε-loss `‖ε̂ − ε‖²`.
    pub fn training_pair(self, x0: [f32; 2], eps: [f32; 2], t: f32) -> ([f32; 2], [f32; 2], f32) {
        let mix = |p: f32, q: f32| [p * x0[0] + q * eps[0], p * x0[1] + q * eps[1]];
        if self == Target::Flow {
            let w = (1.0 - t) * (1.0 - t);
            return (mix(1.0 - t, t), [eps[0] - x0[0], eps[1] - x0[1]], w);
        }
        let ab = VpSde::default().alpha_bar(t as f64);
        let (a, s) = (ab.sqrt() as f32, (1.0 - ab).sqrt() as f32);
        let x_t = mix(a, s);
        match self {
            Target::Eps => (x_t, eps, 1.0),
            Target::X0 => (x_t, x0, (a / s) * (a / s)),
            Target::V => (x_t, [a * eps[0] - s * x0[0], a * eps[1] - s * x0[1]], a * a),
            Target::Flow => unreachable!(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A network that outputs its target exactly is read as the true ε at
    /// every level, for every target: the training pair and the reading are
    /// the same conversion. The loss weights make an error in the output the
    /// same ε error. The control: reading a v-network as x0 is wrong.
    #[test]
    fn a_perfect_network_of_any_target_reads_as_the_true_noise() {
        let (x0, eps) = ([1.3f32, -0.7], [0.4f32, 1.1]);
        for target in Target::ALL {
            assert_eq!(Target::from_id(target.id()), Some(target));
            for t in [0.002f32, 0.05, 0.3, 0.7, 0.999] {
                // The VP level t; the flow model was trained at the level's flow time.
                let r = target.reading(t);
                let (x_vp, _, _) = Target::Eps.training_pair(x0, eps, t);
                let (x_in, y, w) = target.training_pair(x0, eps, r.t);
                // The reading's input is the training input at t′.
                assert!((r.c * x_vp[0] - x_in[0]).abs() < 1e-5 && (r.c * x_vp[1] - x_in[1]).abs() < 1e-5, "{target:?} t={t}");
                let eps_hat = [r.a * x_vp[0] + r.b * y[0], r.a * x_vp[1] + r.b * y[1]];
                let tol = 2e-4 * (1.0 + r.a.abs());
                assert!((eps_hat[0] - eps[0]).abs() < tol && (eps_hat[1] - eps[1]).abs() < tol, "{target:?} t={t}: {eps_hat:?}");
                // An output error δ is an ε error B·δ, and w = B²: the weighted loss is the ε-loss.
                assert!((w - r.b * r.b).abs() < 1e-3 * w.max(1.0), "{target:?} t={t}: w {w} against B² {}", r.b * r.b);
            }
        }
        assert_eq!(Target::Eps.reading(0.4), Reading { t: 0.4, a: 0.0, b: 1.0, c: 1.0 });
        let r = Target::X0.reading(0.3);
        let (x_vp, v, _) = Target::V.training_pair(x0, eps, 0.3);
        let wrong = [r.a * x_vp[0] + r.b * v[0], r.a * x_vp[1] + r.b * v[1]];
        assert!((wrong[0] - eps[0]).abs() > 0.1, "the control");
    }
}
