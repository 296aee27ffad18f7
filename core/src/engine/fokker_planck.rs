//! The Fokker–Planck lab's particles (science::fokker_planck has the maths):
//! a 1-D mixture's draws pushed forward by the VP SDE (Euler–Maruyama), and
//! carried back from N(0, 1) at t = 1 by the reverse SDE (Euler–Maruyama) or
//! the probability-flow ODE (Heun), both driven by the exact score. CPU only:
//! in 1-D a few thousand particles take milliseconds.

use crate::science::fokker_planck::Mixture1d;
use crate::science::rng::{gaussian2, hash_key, unit};
use crate::science::schedule::VpSde;

/// How particles are carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carrier {
    /// Data forward to noise by the SDE.
    ForwardSde,
    /// Noise back to data by the reverse SDE.
    ReverseSde,
    /// Noise back to data by the probability-flow ODE.
    Ode,
}

/// `n` particles at time `t` (t = 0 is the data, 1 the noise): forward from
/// mixture draws, or back from N(0, 1) draws, in steps of at most 1/`steps_per_unit`.
pub fn particles(m: &Mixture1d, carrier: Carrier, t: f64, n: usize, seed: u32, steps_per_unit: usize) -> Vec<f64> {
    let sde = VpSde::default();
    let (from, to) = match carrier {
        Carrier::ForwardSde => (0.0, t),
        _ => (1.0, t),
    };
    let steps = (((to - from) as f64).abs() * steps_per_unit as f64).ceil().max(1.0) as usize;
    let dt = (to - from) / steps as f64;
    (0..n as u32)
        .map(|i| {
            let mut x = match carrier {
                Carrier::ForwardSde => {
                    // A mixture draw: the component by inverse CDF on the weights.
                    let u = unit(hash_key(seed, i, 0xFFFF_FFF2, 0)[0]) as f64;
                    let mut acc = 0.0;
                    let &(_, mu, s) = m.components.iter().find(|c| { acc += c.0; u < acc }).unwrap_or(m.components.last().expect("a component"));
                    mu + s * gaussian2(seed, i, 0xFFFF_FFF3, 0)[0] as f64
                }
                _ => gaussian2(seed, i, 0xFFFF_FFF3, 0)[0] as f64,
            };
            for k in 0..steps {
                let s = from + k as f64 * dt;
                let beta = sde.beta(s);
                let z = gaussian2(seed, i, k as u32, 0)[0] as f64;
                x = match carrier {
                    Carrier::ForwardSde => x - 0.5 * beta * x * dt + (beta * dt).sqrt() * z,
                    // dt < 0: x ← x + [−½βx − β s] dt + √(β|dt|) z.
                    Carrier::ReverseSde => x + (-0.5 * beta * x - beta * m.score(x, s)) * dt + (beta * -dt).sqrt() * z,
                    Carrier::Ode => {
                        let f = |x: f64, s: f64| -0.5 * sde.beta(s) * (x + m.score(x, s));
                        let d1 = f(x, s);
                        let pred = x + d1 * dt;
                        x + 0.5 * (d1 + f(pred, s + dt)) * dt
                    }
                };
            }
            x
        })
        .collect()
}

/// The particles' density on the grid's cells (a histogram normalised to
/// mass 1 over all particles; those outside the grid are lost to it).
pub fn histogram(xs: &[f64], centres: &[f64], dx: f64) -> Vec<f64> {
    let mut h = vec![0.0; centres.len()];
    let left = centres[0] - 0.5 * dx;
    for &x in xs {
        let k = ((x - left) / dx).floor();
        if k >= 0.0 && (k as usize) < h.len() {
            h[k as usize] += 1.0;
        }
    }
    let norm = 1.0 / (xs.len().max(1) as f64 * dx);
    h.iter_mut().for_each(|v| *v *= norm);
    h
}

/// `∫ |h − p| dx` of a histogram against a density.
pub fn l1(h: &[f64], centres: &[f64], dx: f64, p: impl Fn(f64) -> f64) -> f64 {
    h.iter().zip(centres).map(|(v, &x)| (v - p(x)).abs()).sum::<f64>() * dx
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Histograms of 8 000 particles in 48 bins against the exact marginal.
    /// The bar is calibrated on the measured null: the L1 of 8 000 exact
    /// draws' histograms (the forward SDE run for a zero-length time, i.e.
    /// exact data draws, over 8 seeds), its maximum plus 0.01 for the
    /// integrators' step error (100 steps a unit of time). The reverse SDE
    /// with the score's term dropped (a plausible slip) is the control.
    #[test]
    fn every_carrier_matches_the_exact_marginal() {
        let m = Mixture1d::preset("two").unwrap();
        let (n, bins) = (8_000, 48);
        let dx = 12.0 / bins as f64;
        let centres: Vec<f64> = (0..bins).map(|i| -6.0 + (i as f64 + 0.5) * dx).collect();
        let null = (0..8u32)
            .map(|seed| l1(&histogram(&particles(&m, Carrier::ForwardSde, 0.0, n, 100 + seed, 100), &centres, dx), &centres, dx, |x| m.density(x, 0.0)))
            .fold(0.0, f64::max);
        let bar = null + 0.01;
        for (carrier, t) in [(Carrier::ForwardSde, 0.3), (Carrier::ForwardSde, 1.0), (Carrier::ReverseSde, 0.0), (Carrier::Ode, 0.0), (Carrier::ReverseSde, 0.4), (Carrier::Ode, 0.4)] {
            let h = histogram(&particles(&m, carrier, t, n, 7, 100), &centres, dx);
            let err = l1(&h, &centres, dx, |x| m.density(x, t));
            assert!(err < bar, "{carrier:?} at t = {t}: L1 {err} against the bar {bar} (null max {null})");
        }
        // The control: the reverse SDE without its score term just contracts noise.
        let sde = VpSde::default();
        let (steps, dt) = (100, -1.0 / 100.0);
        let wrong: Vec<f64> = (0..n as u32)
            .map(|i| {
                let mut x = gaussian2(7, i, 0xFFFF_FFF3, 0)[0] as f64;
                for k in 0..steps {
                    let beta = sde.beta(1.0 + k as f64 * dt);
                    x += -0.5 * beta * x * dt + (beta * -dt).sqrt() * gaussian2(7, i, k as u32, 0)[0] as f64;
                }
                x
            })
            .collect();
        let err = l1(&histogram(&wrong, &centres, dx), &centres, dx, |x| m.density(x, 0.0));
        assert!(err > 3.0 * bar, "the control's L1 {err} should be far above {bar}");
    }
}
