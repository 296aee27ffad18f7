//! The enumerated keys' values: each a Rust enum whose variants carry their
//! id in links and the line the page shows for it ([`Choice`]). The
//! science's own enums (schedule, spacing, DDPM variance, training target)
//! take their ids from the science and their help from here.

use serde::{Serialize, Serializer};

use crate::science::plan::{DdpmVariance, Spacing};
use crate::science::schedule::ScheduleKind;
use crate::science::targets::Target;

/// A key's allowed values: each variant, its id in links and its help line.
pub trait Choice: Copy + PartialEq + Sized + 'static {
    const ALL: &'static [(Self, &'static str, &'static str)];

    fn id(self) -> &'static str {
        Self::ALL.iter().find(|(v, ..)| *v == self).map(|(_, id, _)| *id).expect("every variant is listed")
    }

    fn help(self) -> &'static str {
        Self::ALL.iter().find(|(v, ..)| *v == self).map(|(.., help)| *help).expect("every variant is listed")
    }

    fn ids() -> Vec<&'static str> {
        Self::ALL.iter().map(|(_, id, _)| *id).collect()
    }

    /// The variant named `value`, or why not (naming the ids).
    fn parse(value: &str) -> Result<Self, String> {
        Self::ALL.iter().find(|(_, id, _)| *id == value).map(|(v, ..)| *v).ok_or_else(|| crate::web::link::one_of(value, &Self::ids()).unwrap_err())
    }
}

/// Serializes a [`Choice`] as its id (the config JS reads keeps strings).
pub fn as_id<C: Choice, S: Serializer>(c: &C, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(c.id())
}

macro_rules! choice {
    ($(#[$m:meta])* $name:ident { $($var:ident = $id:literal : $help:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($var),*
        }

        impl Choice for $name {
            const ALL: &'static [(Self, &'static str, &'static str)] = &[$(($name::$var, $id, $help)),*];
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.id())
            }
        }
    };
}

choice! {
    /// The sampler (`sampler`); its parameters are keys of their own.
    SamplerId {
        Ddpm = "ddpm": "DDPM ancestral: x ← (x − β/σ·ε̂)/√α + √β̃·z, one network evaluation per step.",
        Ddim = "ddim": "DDIM: jump via the predicted x̂0; η = 0 is deterministic, η = 1 equals DDPM.",
        Em = "em": "Euler–Maruyama on the reverse SDE: x ← x − [f x − g² s]Δt + g√Δt·z (VP: f = −½β, g² = β).",
        OdeEuler = "ode_euler": "Euler on the probability-flow ODE: x ← x − [f x − ½g² s]Δt, no noise: deterministic given x_T.",
        Heun = "heun": "Heun on the probability-flow ODE: Euler, then average the drifts at both ends; 2 network evaluations a step.",
        DpmPp2m = "dpmpp2m": "DPM-Solver++ 2M: exponential integrator on x̂0 with a second-order multistep correction; deterministic, 1 evaluation a step.",
        Langevin = "langevin": "Annealed Langevin: k steps per noise level of x ← x + (α/2)s + √α·z, α = ε σ²/σ_L² (ε: the step at the last level).",
        Pc = "pc": "Predictor–corrector: an Euler–Maruyama step, then m Langevin corrector steps with step 2a²(r σ)² (r: signal-to-noise ratio).",
    }
}

impl SamplerId {
    /// The sampler's own settings (keys), shown only where they apply. The
    /// noise temperature applies to the samplers that inject noise (DDIM:
    /// only with η > 0, see `Config::uses`).
    pub fn uses(self) -> &'static [&'static str] {
        match self {
            SamplerId::Ddpm => &["variance", "noise"],
            SamplerId::Ddim => &["eta", "noise"],
            SamplerId::Em => &["noise"],
            SamplerId::Langevin => &["k", "eps", "noise"],
            SamplerId::Pc => &["m", "snr", "noise"],
            SamplerId::OdeEuler | SamplerId::Heun | SamplerId::DpmPp2m => &[],
        }
    }
}

choice! {
    /// Which backend the user asked for (`backend`; the one policy that
    /// decides: web::playground::backend). Its ids need no help line.
    BackendChoice {
        Auto = "auto": "",
        Webgpu = "webgpu": "",
        Cpu = "cpu": "",
    }
}

choice! {
    /// The score model (`model`).
    ModelKind {
        Learned = "learned": "learned: the pretrained ε-prediction MLP for this dataset (models/<dataset>.safetensors).",
        Energy = "energy": "energy: the conservative model — a network φ(x, t, c) whose gradient is ε̂, so its score is a gradient field (zero curl, path-independent line integrals); models/<dataset>.energy.safetensors.",
        Trained = "trained": "trained: the MLP trained in this page (Train), or a model file you loaded; a link with it retrains from its recipe.",
        Exact = "exact": "exact: the true score — analytic for the Gaussian mixtures, the memorising empirical score of 1 024 fixed draws otherwise.",
    }
}

choice! {
    /// The guidance (`guidance`), towards `class`.
    GuidanceMode {
        None = "none": "none: the model conditioned on the class (all classes: unconditional).",
        Cfg = "cfg": "cfg: classifier-free guidance ε̂ = ε̂_u + w (ε̂_c − ε̂_u) towards the class; w = 0 unconditional, 1 conditional, > 1 extrapolates. Needs a class.",
        Classifier = "classifier": "classifier: ε̂ = ε̂_u − g σ ∇ log p(class | x_t), the gradient of a classifier trained on noisy points (exact for model=exact). Needs a class.",
    }
}

impl GuidanceMode {
    /// The guidance's own strength key.
    pub fn uses(self) -> &'static [&'static str] {
        match self {
            GuidanceMode::None => &[],
            GuidanceMode::Cfg => &["w"],
            GuidanceMode::Classifier => &["g"],
        }
    }
}

choice! {
    /// The colour theme (`theme`; `auto` follows the system's preference).
    Theme {
        Auto = "auto": "auto: the system's light or dark preference.",
        Light = "light": "light",
        Dark = "dark": "dark",
    }
}

choice! {
    /// How the trainer draws times (`t_sampling`): `t = T_MIN + (1 − T_MIN) u^p`.
    TSampling {
        Uniform = "uniform": "uniform: p = 1.",
        U2 = "u2": "u²: p = 2, more of the training at low noise.",
    }
}

impl TSampling {
    pub fn power(self) -> i32 {
        match self {
            TSampling::Uniform => 1,
            TSampling::U2 => 2,
        }
    }
}

impl Choice for ScheduleKind {
    const ALL: &'static [(Self, &'static str, &'static str)] = &[
        (ScheduleKind::VpLinear, "vp_linear", "VP linear: β from 1e-4 to 0.02 over 1000 steps (the continuous VP SDE with β from 0.1 to 20)."),
        (ScheduleKind::VpCosine, "vp_cosine", "VP cosine (Nichol & Dhariwal): ᾱ = cos² of a shifted time; gentler noise early, steeper late."),
        (ScheduleKind::Ve, "ve", "VE: x = x0 + σ ε, σ from 0.01 to 20, run on the VP-trained network by rescaling the input by 1/√(1+σ²)."),
    ];
}

impl Choice for Spacing {
    const ALL: &'static [(Self, &'static str, &'static str)] = &[(Spacing::Uniform, "uniform", "uniform in time"), (Spacing::Quadratic, "quadratic", "quadratic: denser near the data")];
}

impl Choice for DdpmVariance {
    const ALL: &'static [(Self, &'static str, &'static str)] =
        &[(DdpmVariance::BetaTilde, "beta_tilde", "β̃: the posterior variance (the better choice at few steps)"), (DdpmVariance::Beta, "beta", "β: the forward variance")];
}

impl Choice for Target {
    const ALL: &'static [(Self, &'static str, &'static str)] = &[
        (Target::Eps, "eps", "ε: the noise (the shipped models' target)."),
        (Target::X0, "x0", "x0: the clean point, its loss weighted by (a/σ)² so that it is the ε-loss; read as ε̂ = (x − a x̂0)/σ."),
        (Target::V, "v", "v = a ε − σ x0, its loss weighted by a²; read as ε̂ = σ x + a v̂."),
        (Target::Flow, "flow", "flow matching: the velocity ε − x0 on the straight path (1−s) x0 + s ε, weighted by (1−s)²; read at the VP level's s = σ/(a+σ)."),
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The science's enums keep their own ids: the table here must agree.
    #[test]
    fn the_science_enums_ids_agree() {
        for s in ScheduleKind::ALL {
            assert_eq!(<ScheduleKind as Choice>::id(s), ScheduleKind::id(&s));
        }
        for s in Spacing::ALL {
            assert_eq!(<Spacing as Choice>::id(s), Spacing::id(&s));
        }
        for t in Target::ALL {
            assert_eq!(<Target as Choice>::id(t), Target::id(t));
        }
        assert_eq!(<ScheduleKind as Choice>::ALL.len(), ScheduleKind::ALL.len());
        assert_eq!(<Target as Choice>::ALL.len(), Target::ALL.len());
        assert_eq!(SamplerId::parse("heun"), Ok(SamplerId::Heun));
        assert_eq!(SamplerId::parse("magic").unwrap_err(), "not one of ddpm, ddim, em, ode_euler, heun, dpmpp2m, langevin, pc");
    }
}
