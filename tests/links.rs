//! Share links written before the web layer's redesign (issue 26) open the
//! same page after it: tests/data/links_before.jsonl holds 30 links of
//! every mode (the playground with every sampler, guidance, schedule and
//! model kind, custom points, the trainer's recipe, bad and foreign keys;
//! compare mode; each lab), each with the config, ignored keys and fragment
//! the page made of it then, and for the playground's sampled links a
//! digest of 96 particles sampled natively on the CPU engine from that
//! config (its plan, model, conditioning and seed). Recorded once by the
//! page as it was (commit 1612b4f); this test reads each link with today's
//! code and demands the same of each. The browser test "links written
//! before the redesign open the same page" opens the same 30 in the real page.

use diffusion_playground::engine::cpu::CpuSampler;
use diffusion_playground::model::weights::{EnergyFile, ModelFile};
use diffusion_playground::model::{ExactMixture, ScoreModel};
use diffusion_playground::web::config::{Config, ModelKind};
use diffusion_playground::web::labs::{ais::AisConfig, fokker_planck::FokkerPlanckConfig, grf::GrfConfig, guidance::GuidanceConfig, langevin::LangevinConfig, LabConfig};
use diffusion_playground::web::link::route::{route, Route};
use diffusion_playground::web::playground::compare;
use diffusion_playground::web::playground::run::plan_for;
use serde_json::{json, Value};

fn digest(xs: &[[f32; 2]]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for v in xs.iter().flatten() {
        for b in v.to_bits().to_le_bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    format!("{h:016x}")
}

/// 96 particles of the config's run on the CPU engine (None: the trained model, which a link retrains).
fn samples(cfg: &Config) -> Option<String> {
    let root = env!("CARGO_MANIFEST_DIR");
    let model = match cfg.model {
        ModelKind::Exact => ScoreModel::Exact(ExactMixture::new(&cfg.dataset.exact_mixture())),
        ModelKind::Learned => {
            let d = cfg.dataset.builtin()?;
            ScoreModel::learned(&ModelFile::from_bytes(&std::fs::read(format!("{root}/models/{}.safetensors", d.id())).unwrap(), d).unwrap())
        }
        ModelKind::Energy => {
            let d = cfg.dataset.builtin()?;
            ScoreModel::Energy(EnergyFile::from_bytes(&std::fs::read(format!("{root}/models/{}.energy.safetensors", d.id())).unwrap(), d).unwrap().net.clone())
        }
        ModelKind::Trained => return None,
    };
    let mut s = CpuSampler::new(plan_for(cfg), model, cfg.conditioning(), cfg.seed, cfg.n.min(96));
    let total = s.total_steps();
    s.run_steps(total);
    Some(digest(&s.particles))
}

/// The one wording unified by the redesign: a value not among a key's ids
/// was "unknown value (allowed: …)" in the playground and "not one of …" in
/// the labs; both now say the latter.
fn today(reason: &str) -> String {
    match reason.strip_prefix("unknown value (allowed: ").and_then(|r| r.strip_suffix(')')) {
        Some(ids) => format!("not one of {ids}"),
        None => reason.to_string(),
    }
}

fn normalise_ignored(v: &Value) -> Value {
    Value::Array(v.as_array().unwrap().iter().map(|i| json!({ "key": i["key"], "value": i["value"], "reason": today(i["reason"].as_str().unwrap()) })).collect())
}

fn lab<C: LabConfig + serde::Serialize>(link: &str) -> (Value, Value, String) {
    let (c, ignored) = C::from_fragment(link);
    (serde_json::to_value(&c).unwrap(), serde_json::to_value(&ignored).unwrap(), c.to_fragment())
}

#[test]
fn links_written_before_the_redesign_open_the_same_page() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/links_before.jsonl")).unwrap();
    let records: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 30);
    let mut sampled = 0;
    for r in &records {
        let link = r["link"].as_str().unwrap();
        let mode = r["mode"].as_str().unwrap();
        match mode {
            "playground" => {
                assert!(!matches!(route(link).0, Route::Lab(_) | Route::Compare), "{link} opens the playground");
                let (cfg, ignored) = Config::from_fragment(link);
                assert_eq!(serde_json::to_value(&cfg).unwrap(), r["config"], "config of {link:?}");
                assert_eq!(serde_json::to_value(&ignored).unwrap(), normalise_ignored(&r["ignored"]), "ignored keys of {link:?}");
                assert_eq!(cfg.to_fragment(), r["fragment"].as_str().unwrap(), "fragment of {link:?}");
                let expected = r["samples"].as_str();
                assert_eq!(samples(&cfg).as_deref(), expected, "samples of {link:?}");
                sampled += expected.is_some() as usize;
            }
            "compare" => {
                assert_eq!(route(link).0, Route::Compare, "{link}");
                let mut p = serde_json::to_value(compare::panels(link)).unwrap();
                p["ignored"] = normalise_ignored(&p["ignored"]);
                let mut before = r["config"].clone();
                before["ignored"] = normalise_ignored(&before["ignored"]);
                assert_eq!(p, before, "panels of {link:?}");
                assert_eq!(compare::fragment(p["a"].as_str().unwrap(), p["b"].as_str().unwrap()), r["fragment"].as_str().unwrap());
            }
            _ => {
                let id = mode.strip_prefix("lab:").unwrap();
                assert!(matches!(route(link).0, Route::Lab(l) if l == id), "{link}");
                let (config, ignored, fragment) = match id {
                    "langevin" => lab::<LangevinConfig>(link),
                    "guidance" => lab::<GuidanceConfig>(link),
                    "fokker_planck" => lab::<FokkerPlanckConfig>(link),
                    "grf" => lab::<GrfConfig>(link),
                    "ais" => lab::<AisConfig>(link),
                    other => panic!("no lab {other}"),
                };
                assert_eq!(config, r["config"], "config of {link:?}");
                assert_eq!(ignored, normalise_ignored(&r["ignored"]), "ignored keys of {link:?}");
                assert_eq!(fragment, r["fragment"].as_str().unwrap(), "fragment of {link:?}");
            }
        }
    }
    assert_eq!(sampled, 17, "every playground link but the trained model's was sampled");
    let modes: std::collections::BTreeSet<String> = records.iter().map(|r| r["mode"].as_str().unwrap().to_string()).collect();
    assert_eq!(modes.len(), 7, "the playground, compare mode and each of the five labs: {modes:?}");
}
