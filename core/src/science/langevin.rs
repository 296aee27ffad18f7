//! Preconditioned Langevin dynamics on a fixed target (SCIENCE.md §3, seed
//! 004): the Langevin lab's maths.
//!
//! `x ← x + λ ε M s(x) + ξ`, `Cov(ξ) = 2εM` (right) or `2εM²` (the tempting
//! wrong choice: coloured noise "matched" to M), with a smoothing strength
//! `λ ≤ 1` that scales the drift (seed 004's regularisation: the chain sees
//! `p^λ`, broader, stabler, slower to mix). On a Gaussian target
//! `N(0, Σ)`, `s(x) = −Σ⁻¹x` and the chain is linear: `x' = A x + ξ`,
//! `A = I − λεMΣ⁻¹`, so its stationary covariance solves the discrete
//! Lyapunov equation `S = A S Aᵀ + Q`, exactly; the first-order analysis
//! (small ε, the continuous limit) gives `λ(MΣ⁻¹S + SΣ⁻¹M) = Q/ε`: `S = Σ/λ`
//! for the right noise, and for the wrong one, when M and Σ commute, `S = MΣ/λ`.
//! The chain is stable while the spectral radius of A is below 1.

/// A symmetric 2×2 matrix `[[xx, xy], [xy, yy]]`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Sym2 {
    pub xx: f64,
    pub xy: f64,
    pub yy: f64,
}

/// A 2×2 matrix, row-major.
pub type Mat2 = [[f64; 2]; 2];

impl Sym2 {
    pub fn identity() -> Self {
        Self { xx: 1.0, xy: 0.0, yy: 1.0 }
    }

    pub fn mat(&self) -> Mat2 {
        [[self.xx, self.xy], [self.xy, self.yy]]
    }

    pub fn of(m: Mat2) -> Self {
        Self { xx: m[0][0], xy: 0.5 * (m[0][1] + m[1][0]), yy: m[1][1] }
    }

    /// `R diag(l1, l2) Rᵀ`, R the rotation by `angle` radians.
    pub fn from_eigen(l1: f64, l2: f64, angle: f64) -> Self {
        let (s, c) = angle.sin_cos();
        Self { xx: c * c * l1 + s * s * l2, xy: c * s * (l1 - l2), yy: s * s * l1 + c * c * l2 }
    }

    /// Eigenvalues, larger first.
    pub fn eigenvalues(&self) -> (f64, f64) {
        let (m, d) = (0.5 * (self.xx + self.yy), (0.25 * (self.xx - self.yy).powi(2) + self.xy * self.xy).sqrt());
        (m + d, m - d)
    }

    pub fn inverse(&self) -> Self {
        let det = self.xx * self.yy - self.xy * self.xy;
        Self { xx: self.yy / det, xy: -self.xy / det, yy: self.xx / det }
    }

    /// The lower Cholesky factor `L` (`L Lᵀ = self`), for a positive definite matrix.
    pub fn cholesky(&self) -> Mat2 {
        let l11 = self.xx.sqrt();
        let l21 = self.xy / l11;
        [[l11, 0.0], [l21, (self.yy - l21 * l21).max(0.0).sqrt()]]
    }

    /// The relative Frobenius distance `‖self − other‖ / ‖other‖`.
    pub fn relative_error(&self, other: &Sym2) -> f64 {
        let d = (self.xx - other.xx).powi(2) + 2.0 * (self.xy - other.xy).powi(2) + (self.yy - other.yy).powi(2);
        let n = other.xx.powi(2) + 2.0 * other.xy.powi(2) + other.yy.powi(2);
        (d / n).sqrt()
    }
}

pub fn mul(a: Mat2, b: Mat2) -> Mat2 {
    let mut out = [[0.0; 2]; 2];
    for i in 0..2 {
        for j in 0..2 {
            out[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j];
        }
    }
    out
}

fn transpose(a: Mat2) -> Mat2 {
    [[a[0][0], a[1][0]], [a[0][1], a[1][1]]]
}

/// Which metric M preconditions the drift.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preconditioner {
    /// Plain Langevin, M = I.
    Identity,
    /// The target's covariance's diagonal.
    Diagonal,
    /// M = Σ: the ideal metric for a Gaussian (every direction mixes alike).
    Covariance,
}

impl Preconditioner {
    pub const ALL: [Preconditioner; 3] = [Preconditioner::Identity, Preconditioner::Diagonal, Preconditioner::Covariance];

    pub fn id(self) -> &'static str {
        match self {
            Preconditioner::Identity => "none",
            Preconditioner::Diagonal => "diagonal",
            Preconditioner::Covariance => "covariance",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.id() == id)
    }

    /// M for a target of covariance `sigma`.
    pub fn metric(self, sigma: &Sym2) -> Sym2 {
        match self {
            Preconditioner::Identity => Sym2::identity(),
            Preconditioner::Diagonal => Sym2 { xx: sigma.xx, xy: 0.0, yy: sigma.yy },
            Preconditioner::Covariance => *sigma,
        }
    }
}

/// The chain's update as matrices: `x' = x + λεM s(x) + L z`, z ~ N(0, I),
/// `L Lᵀ = 2εM` (right) or `2εM²` (wrong).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Update {
    /// `λεM`, the drift's gain on the score.
    pub gain: Mat2,
    /// The noise's Cholesky factor and covariance.
    pub noise: Mat2,
    pub noise_cov: Sym2,
}

impl Update {
    pub fn new(m: &Sym2, eps: f64, lambda: f64, wrong_noise: bool) -> Self {
        let mm = m.mat();
        let q = if wrong_noise { Sym2::of(mul(mm, mm)) } else { *m };
        let noise_cov = Sym2 { xx: 2.0 * eps * q.xx, xy: 2.0 * eps * q.xy, yy: 2.0 * eps * q.yy };
        let gain = [[lambda * eps * mm[0][0], lambda * eps * mm[0][1]], [lambda * eps * mm[1][0], lambda * eps * mm[1][1]]];
        Self { gain, noise: noise_cov.cholesky(), noise_cov }
    }

    /// On the Gaussian target `N(0, Σ)`: `A = I − λεMΣ⁻¹`.
    pub fn transition(&self, sigma: &Sym2) -> Mat2 {
        let g = mul(self.gain, sigma.inverse().mat());
        [[1.0 - g[0][0], -g[0][1]], [-g[1][0], 1.0 - g[1][1]]]
    }
}

/// The spectral radius of a 2×2 matrix (complex eigenvalues included).
pub fn spectral_radius(a: Mat2) -> f64 {
    let (tr, det) = (a[0][0] + a[1][1], a[0][0] * a[1][1] - a[0][1] * a[1][0]);
    let disc = tr * tr / 4.0 - det;
    if disc >= 0.0 {
        (tr / 2.0 + disc.sqrt()).abs().max((tr / 2.0 - disc.sqrt()).abs())
    } else {
        det.abs().sqrt()
    }
}

/// The exact stationary covariance of `x' = A x + ξ`, `Cov ξ = Q`: the
/// solution of `S = A S Aᵀ + Q` (three unknowns), or none when the chain is
/// unstable (spectral radius ≥ 1: it diverges).
pub fn stationary_covariance(a: Mat2, q: &Sym2) -> Option<Sym2> {
    if spectral_radius(a) >= 1.0 {
        return None;
    }
    // S = [[u, v], [v, w]]; (A S Aᵀ)_ij = Σ_kl a_ik s_kl a_jl.
    let coef = |i: usize, j: usize| {
        [
            a[i][0] * a[j][0],                     // u
            a[i][0] * a[j][1] + a[i][1] * a[j][0], // v
            a[i][1] * a[j][1],                     // w
        ]
    };
    let rows = [(0, 0, q.xx), (0, 1, q.xy), (1, 1, q.yy)];
    let mut m = [[0.0f64; 4]; 3];
    for (r, &(i, j, qv)) in rows.iter().enumerate() {
        let c = coef(i, j);
        for k in 0..3 {
            m[r][k] = -c[k];
        }
        m[r][r] += 1.0;
        m[r][3] = qv;
    }
    let x = solve3(m)?;
    Some(Sym2 { xx: x[0], xy: x[1], yy: x[2] })
}

/// Gaussian elimination with partial pivoting on an augmented 3×4 system.
fn solve3(mut m: [[f64; 4]; 3]) -> Option<[f64; 3]> {
    for c in 0..3 {
        let p = (c..3).max_by(|&a, &b| m[a][c].abs().total_cmp(&m[b][c].abs()))?;
        m.swap(c, p);
        if m[c][c].abs() < 1e-300 {
            return None;
        }
        for r in 0..3 {
            if r != c {
                let f = m[r][c] / m[c][c];
                for k in c..4 {
                    m[r][k] -= f * m[c][k];
                }
            }
        }
    }
    Some([m[0][3] / m[0][0], m[1][3] / m[1][1], m[2][3] / m[2][2]])
}

/// The first-order (small ε) stationary covariance: the solution of the
/// continuous Lyapunov equation `λ(MΣ⁻¹S + SΣ⁻¹M) = Q/ε` — `Σ/λ` for the right noise.
pub fn first_order_covariance(sigma: &Sym2, m: &Sym2, lambda: f64, wrong_noise: bool) -> Sym2 {
    let b = mul(m.mat(), sigma.inverse().mat());
    let q = if wrong_noise { Sym2::of(mul(m.mat(), m.mat())) } else { *m };
    // B S + S Bᵀ = 2Q/λ, three unknowns.
    let bt = transpose(b);
    let rows = [(0, 0, q.xx), (0, 1, q.xy), (1, 1, q.yy)];
    let mut mat = [[0.0f64; 4]; 3];
    for (r, &(i, j, qv)) in rows.iter().enumerate() {
        // (B S)_ij + (S Bᵀ)_ij = Σ_k b_ik s_kj + s_ik bt_kj.
        let mut c = [0.0; 3];
        let idx = |k: usize, l: usize| match (k.min(l), k.max(l)) {
            (0, 0) => 0,
            (0, 1) => 1,
            _ => 2,
        };
        for k in 0..2 {
            c[idx(k, j)] += b[i][k];
            c[idx(i, k)] += bt[k][j];
        }
        mat[r][..3].copy_from_slice(&c);
        mat[r][3] = 2.0 * qv / lambda;
    }
    let x = solve3(mat).unwrap_or([f64::NAN; 3]);
    Sym2 { xx: x[0], xy: x[1], yy: x[2] }
}

/// The largest stable step: `ε < 2 / (λ · largest eigenvalue of MΣ⁻¹)`
/// (MΣ⁻¹ is similar to a symmetric positive matrix, so its eigenvalues are real and positive).
pub fn stability_limit(sigma: &Sym2, m: &Sym2, lambda: f64) -> f64 {
    let b = mul(m.mat(), sigma.inverse().mat());
    let (tr, det) = (b[0][0] + b[1][1], b[0][0] * b[1][1] - b[0][1] * b[1][0]);
    let top = tr / 2.0 + (tr * tr / 4.0 - det).max(0.0).sqrt();
    2.0 / (lambda * top)
}

/// Effective samples per chain step along the slowest direction of the
/// linear chain: `1/τ`, `τ = (1 + ρ)/(1 − ρ)` the integrated autocorrelation
/// time of an AR(1) with coefficient ρ, here the spectral radius of A (0 when
/// unstable). For the chain's mean with positive eigenvalues this is exact;
/// where a mode's eigenvalue is negative (ε past half the limit: it
/// oscillates) the mean mixes faster than this says, so near the limit the
/// curve is a conservative figure, not an exact one.
pub fn ess_per_step(a: Mat2) -> f64 {
    let rho = spectral_radius(a);
    if rho >= 1.0 {
        return 0.0;
    }
    (1.0 - rho) / (1.0 + rho)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Sym2 {
        Sym2::from_eigen(2.0, 0.02, 0.5)
    }

    #[test]
    fn the_right_noise_keeps_the_target_to_first_order_and_the_wrong_one_does_not() {
        let sigma = target();
        for pre in Preconditioner::ALL {
            let m = pre.metric(&sigma);
            let eps = 0.02 * stability_limit(&sigma, &m, 1.0);
            let up = Update::new(&m, eps, 1.0, false);
            let s = stationary_covariance(up.transition(&sigma), &up.noise_cov).unwrap();
            // Exact stationary covariance within O(ε) of Σ (2 % of the limit: ~2 %).
            assert!(s.relative_error(&sigma) < 0.03, "{pre:?}: {s:?}");
            assert!(first_order_covariance(&sigma, &m, 1.0, false).relative_error(&sigma) < 1e-9, "{pre:?}");
        }
        // The wrong noise: S = MΣ (M = Σ commutes with it): Σ², twice Σ along the long axis.
        let m = Preconditioner::Covariance.metric(&sigma);
        let want = Sym2::of(mul(m.mat(), sigma.mat()));
        let fo = first_order_covariance(&sigma, &m, 1.0, true);
        assert!(fo.relative_error(&want) < 1e-9, "{fo:?} vs {want:?}");
        let up = Update::new(&m, 0.01, 1.0, true);
        let s = stationary_covariance(up.transition(&sigma), &up.noise_cov).unwrap();
        assert!(s.relative_error(&want) < 0.02 && s.relative_error(&sigma) > 0.5, "{s:?}");
        // With M = I the wrong noise is the right one.
        let up = Update::new(&Sym2::identity(), 0.001, 1.0, true);
        assert!(stationary_covariance(up.transition(&sigma), &up.noise_cov).unwrap().relative_error(&sigma) < 0.03);
    }

    #[test]
    fn preconditioning_raises_the_stable_step_and_the_mixing() {
        let sigma = target();
        let (plain, pre) = (Sym2::identity(), Preconditioner::Covariance.metric(&sigma));
        // Plain Langevin is limited by the narrow direction: ε < 2 λ_min(Σ) = 0.04.
        assert!((stability_limit(&sigma, &plain, 1.0) - 0.04).abs() < 1e-12);
        assert!((stability_limit(&sigma, &pre, 1.0) - 2.0).abs() < 1e-12);
        // At half their limits, the preconditioned chain mixes ~100× faster along the long axis.
        let ess = |m: &Sym2| ess_per_step(Update::new(m, 0.5 * stability_limit(&sigma, m, 1.0), 1.0, false).transition(&sigma));
        assert!(ess(&pre) > 50.0 * ess(&plain), "{} vs {}", ess(&pre), ess(&plain));
        // Past the limit the chain is unstable: no stationary covariance.
        let up = Update::new(&plain, 0.041, 1.0, false);
        assert!(stationary_covariance(up.transition(&sigma), &up.noise_cov).is_none());
        assert_eq!(ess_per_step(up.transition(&sigma)), 0.0);
    }

    #[test]
    fn smoothing_broadens_stabilises_and_slows() {
        let sigma = target();
        let m = Sym2::identity();
        let lambda = 0.5;
        assert!((stability_limit(&sigma, &m, lambda) - 0.08).abs() < 1e-12);
        let fo = first_order_covariance(&sigma, &m, lambda, false);
        assert!(fo.relative_error(&Sym2 { xx: 2.0 * sigma.xx, xy: 2.0 * sigma.xy, yy: 2.0 * sigma.yy }) < 1e-9);
        let a = |l: f64| Update::new(&m, 0.01, l, false).transition(&sigma);
        assert!(ess_per_step(a(0.5)) < ess_per_step(a(1.0)));
    }

    #[test]
    fn cholesky_and_eigen_are_consistent() {
        let s = Sym2::from_eigen(3.0, 0.5, 1.1);
        let l = s.cholesky();
        assert!(Sym2::of(mul(l, transpose(l))).relative_error(&s) < 1e-12);
        let (a, b) = s.eigenvalues();
        assert!((a - 3.0).abs() < 1e-12 && (b - 0.5).abs() < 1e-12);
        assert!(Sym2::of(mul(s.mat(), s.inverse().mat())).relative_error(&Sym2::identity()) < 1e-12);
    }
}
