//! The one backend policy: where the playground samples, where the trainer
//! trains and where a lab runs its sweep — WebGPU or the CPU — and the
//! reason the page shows for it. Pure: the page passes what it knows of its
//! WebGPU ([`GpuFacts`]) and of the calibration (web::playground::calibrate).

use crate::engine::gpu::GpuContext;
use crate::web::config::{BackendChoice, CPU_N_MAX};

/// Where a run computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Webgpu,
    Cpu,
}

impl Backend {
    pub fn id(self) -> &'static str {
        match self {
            Backend::Webgpu => "webgpu",
            Backend::Cpu => "cpu",
        }
    }
}

/// What the page knows of its WebGPU: the adapter in words, and the CPU
/// emulation it is (SwiftShader, llvmpipe, a fallback adapter), if any.
#[derive(Clone, Debug)]
pub struct GpuFacts<'a> {
    pub describe: String,
    pub emulation: Option<&'a str>,
}

impl<'a> GpuFacts<'a> {
    /// The facts of the page's WebGPU context.
    pub fn of(gpu: &'a GpuContext) -> Self {
        Self { describe: gpu.describe(), emulation: gpu.emulation() }
    }
}

/// What a calibration measured: particle-steps per second on each backend.
#[derive(Clone, Copy, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Calibration {
    pub cpu_rate: f64,
    pub gpu_rate: f64,
}

impl Calibration {
    /// Whether the CPU samples faster.
    pub fn cpu_faster(&self) -> bool {
        self.cpu_rate > self.gpu_rate
    }

    /// The choice in words, e.g. "CPU: 5.1× faster than this browser's
    /// software WebGPU (SwiftShader), measured on this page".
    pub fn describe(&self, emulation: &str) -> String {
        if self.cpu_faster() {
            format!("CPU: {:.1}× faster than this browser's software WebGPU ({emulation}), measured on this page", self.cpu_rate / self.gpu_rate)
        } else {
            format!("WebGPU on a software adapter ({emulation}): {:.1}× faster than the CPU, measured on this page", self.gpu_rate / self.cpu_rate)
        }
    }
}

/// Where the playground samples, and why: the link's choice; with
/// `backend=auto` on a CPU emulation, the calibration's faster backend
/// (the CPU only up to its particle cap); the CPU when WebGPU is missing
/// (`gpu_failure` says why). A CPU run above the cap says how many it samples.
pub fn sampling(choice: BackendChoice, gpu: Option<&GpuFacts>, calibration: Option<&Result<Calibration, String>>, n: usize, gpu_failure: Option<&str>) -> (Backend, String) {
    let (backend, mut reason) = match (choice, gpu) {
        (BackendChoice::Cpu, _) => (Backend::Cpu, "CPU, as the link asks (backend=cpu)".to_string()),
        (choice, Some(gpu)) => match (gpu.emulation, calibration) {
            (Some(e), Some(Ok(c))) if choice == BackendChoice::Auto && c.cpu_faster() && n <= CPU_N_MAX => (Backend::Cpu, c.describe(e)),
            (Some(e), Some(Err(why))) if choice == BackendChoice::Auto => (Backend::Cpu, format!("CPU: this browser's software WebGPU ({e}) failed its calibration: {why}")),
            (Some(e), calibration) => {
                let measured = match calibration {
                    Some(Ok(c)) if choice == BackendChoice::Auto && c.cpu_faster() => {
                        format!("; the CPU measured {:.1}× faster here but samples at most {CPU_N_MAX} particles", c.cpu_rate / c.gpu_rate)
                    }
                    Some(Ok(c)) if choice == BackendChoice::Auto => format!("; {}", c.describe(e)),
                    _ => String::new(),
                };
                (Backend::Webgpu, format!("WebGPU on {}, a CPU emulation of a GPU ({e}): the MLP runs its kernel for emulations{measured}", gpu.describe))
            }
            (None, _) => (Backend::Webgpu, format!("WebGPU on {}", gpu.describe)),
        },
        (choice, None) => {
            let why = gpu_failure.unwrap_or("WebGPU is unavailable");
            let asked = if choice == BackendChoice::Webgpu { " although the link asks for backend=webgpu" } else { "" };
            (Backend::Cpu, format!("CPU{asked}: {why}"))
        }
    };
    if backend == Backend::Cpu && n > CPU_N_MAX {
        reason.push_str(&format!("; the CPU samples {CPU_N_MAX} of the n={n} particles asked for (more need WebGPU)"));
    }
    (backend, reason)
}

/// Whether `backend=auto` must time both backends before sampling: WebGPU
/// is a CPU emulation, the CPU could take the run, and no calibration of
/// this model kind exists yet.
pub fn needs_calibration(choice: BackendChoice, gpu: Option<&GpuFacts>, calibrated: bool, n: usize) -> bool {
    choice == BackendChoice::Auto && gpu.is_some_and(|g| g.emulation.is_some()) && n <= CPU_N_MAX && !calibrated
}

/// Where work without a calibration runs — the in-page trainer, a lab's
/// sweep — and why: the link's choice, else WebGPU on a GPU and the CPU on
/// a CPU emulation of one (the CPU twin is faster there).
pub fn uncalibrated(choice: BackendChoice, gpu: Option<&GpuFacts>) -> (Backend, String) {
    match (choice, gpu) {
        (BackendChoice::Cpu, _) => (Backend::Cpu, "the link asks for the CPU".into()),
        (_, None) => (Backend::Cpu, "this browser has no usable WebGPU".into()),
        (BackendChoice::Webgpu, Some(_)) => (Backend::Webgpu, "the link asks for WebGPU".into()),
        (BackendChoice::Auto, Some(g)) => match g.emulation {
            Some(e) => (Backend::Cpu, format!("WebGPU here is {e}, a CPU emulation: the CPU backend is faster")),
            None => (Backend::Webgpu, "WebGPU on this GPU".into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpu() -> GpuFacts<'static> {
        GpuFacts { describe: "NVIDIA H100".into(), emulation: None }
    }
    fn swift() -> GpuFacts<'static> {
        GpuFacts { describe: "SwiftShader Device".into(), emulation: Some("SwiftShader") }
    }

    #[test]
    fn sampling_follows_the_link_the_calibration_and_the_cap() {
        use BackendChoice::*;
        let cpu_fast: Result<Calibration, String> = Ok(Calibration { cpu_rate: 5e6, gpu_rate: 1e6 });
        let gpu_fast: Result<Calibration, String> = Ok(Calibration { cpu_rate: 1e6, gpu_rate: 4e6 });
        let failed: Result<Calibration, String> = Err("device lost".into());
        // The link decides where it names a backend.
        assert_eq!(sampling(Cpu, Some(&gpu()), None, 4096, None).0, Backend::Cpu);
        assert_eq!(sampling(Webgpu, Some(&swift()), Some(&cpu_fast), 4096, None).0, Backend::Webgpu);
        // auto: a GPU samples; an emulation follows its calibration, up to the CPU's cap.
        assert_eq!(sampling(Auto, Some(&gpu()), None, 4096, None), (Backend::Webgpu, "WebGPU on NVIDIA H100".to_string()));
        let (b, why) = sampling(Auto, Some(&swift()), Some(&cpu_fast), 4096, None);
        assert_eq!(b, Backend::Cpu);
        assert!(why.contains("5.0× faster") && why.contains("SwiftShader"), "{why}");
        assert_eq!(sampling(Auto, Some(&swift()), Some(&gpu_fast), 4096, None).0, Backend::Webgpu);
        let (b, why) = sampling(Auto, Some(&swift()), Some(&cpu_fast), CPU_N_MAX + 1, None);
        assert_eq!(b, Backend::Webgpu, "above the CPU's cap WebGPU samples whatever the timing says");
        assert!(why.contains("samples at most"), "{why}");
        let (b, why) = sampling(Auto, Some(&swift()), Some(&failed), 4096, None);
        assert!(b == Backend::Cpu && why.contains("failed its calibration: device lost"), "{why}");
        // No WebGPU: the CPU, with the reason, and the cap named.
        let (b, why) = sampling(Webgpu, None, None, 100_000, Some("no adapter"));
        assert_eq!(b, Backend::Cpu);
        assert!(why.starts_with("CPU although the link asks for backend=webgpu: no adapter"), "{why}");
        assert!(why.ends_with(&format!("the CPU samples {CPU_N_MAX} of the n=100000 particles asked for (more need WebGPU)")), "{why}");
    }

    #[test]
    fn calibration_is_needed_only_for_auto_on_an_emulation_within_the_cap() {
        use BackendChoice::*;
        assert!(needs_calibration(Auto, Some(&swift()), false, 4096));
        assert!(!needs_calibration(Auto, Some(&swift()), true, 4096), "once per model kind");
        assert!(!needs_calibration(Auto, Some(&gpu()), false, 4096));
        assert!(!needs_calibration(Webgpu, Some(&swift()), false, 4096));
        assert!(!needs_calibration(Auto, Some(&swift()), false, CPU_N_MAX + 1));
        assert!(!needs_calibration(Auto, None, false, 4096));
    }

    #[test]
    fn training_and_labs_use_the_gpu_only_where_it_is_one() {
        use BackendChoice::*;
        assert_eq!(uncalibrated(Auto, Some(&gpu())).0, Backend::Webgpu);
        assert_eq!(uncalibrated(Auto, Some(&swift())).0, Backend::Cpu);
        assert_eq!(uncalibrated(Webgpu, Some(&swift())).0, Backend::Webgpu);
        assert_eq!(uncalibrated(Webgpu, None).0, Backend::Cpu);
        assert_eq!(uncalibrated(Cpu, Some(&gpu())).0, Backend::Cpu);
    }
}
