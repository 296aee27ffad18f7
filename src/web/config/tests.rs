//! The link's keys: round trips, bad values reported and kept out, and the table's derived rules.

use super::*;
use crate::science::datasets::Dataset;
use crate::science::plan::{DdpmVariance, Spacing};
use crate::science::schedule::ScheduleKind;
use crate::web::render::Layers;

#[test]
fn default_round_trips() {
    let c = Config::default();
    let (back, ignored) = Config::from_fragment(&format!("#{}", c.to_fragment()));
    assert!(ignored.is_empty());
    assert_eq!(back, c);
    assert_eq!(c.to_fragment(), "v=1&dataset=gaussians8&sampler=ddpm&steps=200&n=4096&seed=7&backend=auto&model=learned&eta=0&variance=beta_tilde&guidance=none&w=3&g=3&schedule=vp_linear&spacing=uniform&k=5&eps=0.00002&m=1&snr=0.16&noise=1&embed=0&autoplay=1&theme=auto&layers=data%2Cparticles&class=all");
}

#[test]
fn every_value_round_trips() {
    let (c, ignored) = Config::from_fragment("v=1&class=24&dataset=grid25&sampler=ddim&steps=1000&n=1048576&seed=4294967295&backend=cpu&model=exact&eta=0.35");
    assert!(ignored.is_empty(), "{ignored:?}");
    assert_eq!((c.dataset.clone(), c.steps, c.n, c.seed, c.backend), (Data::Builtin(Dataset::Grid25), 1000, N_MAX, u32::MAX, BackendChoice::Cpu));
    assert_eq!((c.model, c.class), (ModelKind::Exact, Some(24)));
    assert_eq!(Config::from_fragment(&c.to_fragment()).0, c);
    assert_eq!(c.sampler_kind(), SamplerKind::Ddim { eta: 0.35 });
}

#[test]
fn every_sampler_id_maps_to_its_kind() {
    for id in SamplerId::ids() {
        let (c, ignored) = Config::from_fragment(&format!("sampler={id}"));
        assert!(ignored.is_empty());
        assert_eq!(c.sampler_kind().id(), id);
    }
    for bad in ["eta=1.5", "eta=-0.1", "eta=NaN", "eta=inf", "eta=x"] {
        let (c, ignored) = Config::from_fragment(bad);
        assert_eq!(c.eta, 0.0);
        assert_eq!(ignored.len(), 1, "{bad}");
    }
}

#[test]
fn invalid_values_fall_back_and_are_reported() {
    let (c, ignored) = Config::from_fragment("#v=1&dataset=nope&steps=0&n=abc&seed=-3&backend=cuda&foo=bar&steps=50");
    let keys: Vec<&str> = ignored.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(keys, ["dataset", "steps", "n", "seed", "backend", "foo"]);
    assert!(ignored[0].reason.contains("gaussians8"), "the reason lists the allowed ids: {}", ignored[0].reason);
    assert!(ignored[1].reason.contains("1–1000"));
    assert_eq!(ignored[5].reason, "unknown key");
    // Valid keys still apply, the later steps=50 included; the rest keep defaults.
    let d = Config::default();
    assert_eq!((c.dataset, c.steps, c.n, c.seed, c.backend), (d.dataset, 50, d.n, d.seed, d.backend));
}

#[test]
fn huge_and_garbage_links_never_panic() {
    for frag in ["", "#", "&&&", "=", "v=2", "n=99999999999999999999999", "steps=1e3", "%ZZ", "dataset=%00", "#v=1&v=1&v=x"] {
        let (c, _) = Config::from_fragment(frag);
        assert!(c.steps >= 1 && c.n >= 1);
    }
    let (_, ignored) = Config::from_fragment("v=2");
    assert!(ignored[0].reason.contains("version"));
    let (c, ignored) = Config::from_fragment("n=2000000");
    assert_eq!(c.n, Config::default().n);
    assert!(ignored[0].reason.contains("1048576"));
}

#[test]
fn class_is_checked_against_the_dataset() {
    let (c, ignored) = Config::from_fragment("dataset=moons&class=2");
    assert_eq!(c.class, None);
    assert!(ignored[0].reason.contains("moons has 2 classes"), "{}", ignored[0].reason);
    let (mut c, ignored) = Config::from_fragment("dataset=grid25&class=20");
    assert!(ignored.is_empty());
    // Switching to a dataset without that class falls back to all classes.
    assert!(c.set("dataset", "moons").is_ok());
    assert_eq!(c.class, None);
    assert!(c.set("class", "1").is_ok() && c.set("class", "all").is_ok());
    assert_eq!(c.class, None);
    assert!(c.set("model", "learned").is_ok() && c.set("model", "magic").is_err());
    // DDPM's variance key picks β̃ or β.
    assert_eq!(c.sampler_kind(), SamplerKind::Ddpm { variance: DdpmVariance::BetaTilde });
    assert!(c.set("variance", "beta").is_ok() && c.set("variance", "sigma").is_err());
    assert_eq!(c.sampler_kind(), SamplerKind::Ddpm { variance: DdpmVariance::Beta });
    // Guidance: cfg with w, checked ranges; it applies only with a class.
    assert!(c.set("guidance", "cfg").is_ok() && c.set("w", "7.5").is_ok());
    assert!(c.set("w", "21").is_err() && c.set("w", "-1").is_err() && c.set("guidance", "magic").is_err());
    assert_eq!(c.conditioning().active(), Guidance::None, "class=all: nothing to guide towards");
    assert_eq!(c.conditioning().evals(), 1);
    assert!(c.set("class", "1").is_ok());
    assert_eq!(c.conditioning().active(), Guidance::ClassifierFree { w: 7.5 });
    // Classifier guidance with g ∈ [0, 50]; 2 evaluations per ε̂.
    assert!(c.set("guidance", "classifier").is_ok() && c.set("g", "50").is_ok() && c.set("g", "50.5").is_err());
    assert_eq!(c.conditioning().active(), Guidance::Classifier { g: 50.0 });
    assert_eq!(c.conditioning().evals(), 2);
}

#[test]
fn schedule_spacing_and_sampler_parameters() {
    let (c, ignored) = Config::from_fragment("sampler=langevin&k=7&eps=0.0001&schedule=ve&spacing=quadratic");
    assert!(ignored.is_empty(), "{ignored:?}");
    assert_eq!(c.sampler_kind(), SamplerKind::Langevin { per_level: 7, step_size: 1e-4 });
    assert_eq!((c.schedule, c.spacing), (ScheduleKind::Ve, Spacing::Quadratic));
    let (c, ignored) = Config::from_fragment("sampler=pc&m=3&snr=0.2&schedule=vp_cosine");
    assert!(ignored.is_empty());
    assert_eq!(c.sampler_kind(), SamplerKind::PredictorCorrector { correctors: 3, snr: 0.2 });
    assert_eq!(c.schedule, ScheduleKind::VpCosine);
    assert_eq!(Config::from_fragment("sampler=dpmpp2m").0.sampler_kind(), SamplerKind::DpmPp2m);
    // Out-of-range or unknown values are reported and keep the defaults.
    let (c, ignored) = Config::from_fragment("k=0&eps=1&m=11&snr=0&schedule=vp_sigmoid&spacing=log");
    assert_eq!(ignored.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["k", "eps", "m", "snr", "schedule", "spacing"]);
    assert_eq!(c, Config::default());
    // Every sampler id of the page maps to a sampler with that id.
    for id in SamplerId::ids() {
        let (c, ignored) = Config::from_fragment(&format!("sampler={id}"));
        assert!(ignored.is_empty());
        assert_eq!(c.sampler_kind().id(), id);
    }
    // Presentation keys: checked, round-tripped, and not part of the run.
    let (c, ignored) = Config::from_fragment("origins=https://Blog.example,http://127.0.0.1:8000");
    assert!(ignored.is_empty(), "{ignored:?}");
    assert_eq!(c.origins, "https://blog.example,http://127.0.0.1:8000");
    assert!(c.to_fragment().ends_with("&origins=https%3A%2F%2Fblog.example%2Chttp%3A%2F%2F127.0.0.1%3A8000"), "{}", c.to_fragment());
    assert!(c.same_run(&Config::default()), "origins do not change the run");
    let (c, ignored) = Config::from_fragment("origins=https://blog.example/post");
    assert_eq!((c.origins.as_str(), ignored.len()), ("", 1), "a path is not an origin");
    let (c, ignored) = Config::from_fragment("embed=1&autoplay=0&theme=light");
    assert!(ignored.is_empty());
    assert!(c.embed && !c.autoplay && c.theme == Theme::Light);
    assert!(c.same_run(&Config::default()) && !c.same_run(&Config { seed: 8, ..Config::default() }));
    let (_, ignored) = Config::from_fragment("embed=2&autoplay=yes&theme=pink&layers=data,sparkles");
    assert_eq!(ignored.len(), 4);
    // Layers: any subset, stored in a fixed order; an empty list draws nothing.
    let (c, _) = Config::from_fragment("layers=field,data,trajectories");
    assert_eq!(c.layers.to_list(), "data,trajectories,field");
    assert!(c.layers.has("field") && !c.layers.has("particles") && c.same_run(&Config::default()));
    assert_eq!(Config::from_fragment("layers=").0.layers, Layers::NONE);
    // The new keys round-trip.
    let (c, _) = Config::from_fragment("sampler=pc&m=0&snr=0.3&g=12.5&schedule=ve&spacing=quadratic&k=2&eps=0.000003");
    assert_eq!(Config::from_fragment(&c.to_fragment()).0, c);
}

#[test]
fn percent_encoding_is_decoded() {
    let (c, ignored) = Config::from_fragment("dataset=grid%32%35&steps=%31%30");
    assert!(ignored.is_empty());
    assert_eq!((c.dataset, c.steps), (Data::Builtin(Dataset::Grid25), 10));
}

#[test]
fn the_trainer_keys_round_trip_and_default_to_the_engine_recipe() {
    assert_eq!(Config::default().recipe(), crate::engine::train::Recipe::default());
    let frag = "model=trained&train_steps=300&batch=1024&lr=0.003&wd=0.01&t_sampling=uniform&train_seed=5&target=v&clf=1";
    let (c, ignored) = Config::from_fragment(frag);
    assert!(ignored.is_empty(), "{ignored:?}");
    let r = c.recipe();
    assert_eq!((r.steps, r.batch, r.lr, r.weight_decay, r.t_power, r.seed, r.warmup), (300, 1024, 0.003, 0.01, 1, 5, 25));
    assert_eq!((r.target, r.classifier), (crate::science::targets::Target::V, true));
    assert_eq!(Config::from_fragment(&c.to_fragment()).0, c);
    assert!(!Config::default().to_fragment().contains("train_steps"), "the recipe travels only with model=trained");
    let (_, ignored) = Config::from_fragment("batch=8&lr=2&t_sampling=cubic&train_steps=0&target=score&clf=yes");
    assert_eq!(ignored.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["batch", "lr", "t_sampling", "train_steps", "target", "clf"]);
}

#[test]
fn custom_points_travel_in_the_link_and_survive_switching_datasets() {
    let (set, _) = crate::web::playground::data::canonical(&[[0.5, 0.5], [-1.0, 2.0], [3.0, -3.0]], &[0, 2, 1]);
    let mut c = Config::default();
    c.set_points(set.clone());
    assert!(c.set("dataset", "custom").is_ok());
    assert!(c.set("class", "2").is_ok());
    let frag = c.to_fragment();
    assert!(frag.contains("dataset=custom") && frag.contains("points="), "{frag}");
    let (back, ignored) = Config::from_fragment(&frag);
    assert!(ignored.is_empty(), "{ignored:?}");
    assert_eq!(back, c);
    assert_eq!(back.dataset.num_classes(), 3);
    // Showing moons keeps the drawing; coming back shows it again.
    assert!(c.set("dataset", "moons").is_ok());
    assert!(!c.to_fragment().contains("points="));
    assert!(c.set("dataset", "custom").is_ok());
    assert_eq!(c.dataset, Data::Custom(Rc::new(set)));
    // Malformed point data: a notice, the points kept.
    let (bad, ignored) = Config::from_fragment("dataset=custom&points=%%%&class=1");
    assert_eq!(ignored.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["points", "class"]);
    assert!(ignored[0].reason.contains("base64url"), "{}", ignored[0].reason);
    assert!(bad.points.is_empty() && bad.dataset.id() == "custom");
    // Points set after the dataset key and before it read the same.
    let value = crate::web::playground::data::encode(&c.points);
    let a = Config::from_fragment(&format!("dataset=custom&points={value}")).0;
    let b = Config::from_fragment(&format!("points={value}&dataset=custom")).0;
    assert_eq!(a, b);
}

/// Every key is declared once and every derived rule follows the table:
/// each key's printed value reads back to the same config; a key's role
/// decides whether changing it restarts the run; options() lists every
/// enumerated key's ids and every range.
#[test]
fn the_key_table_drives_set_print_same_run_and_options() {
    let names: Vec<&str> = keys::KEYS.iter().map(|k| k.name).collect();
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "a key declared twice");
    // A config with every key away from its default (points shown, the recipe in the link).
    let (set, _) = crate::web::playground::data::canonical(&[[0.5, 0.5], [-1.0, 2.0]], &[0, 1]);
    let mut c = Config::default();
    c.set_points(set);
    let frag = "dataset=custom&sampler=pc&steps=33&n=999&seed=5&backend=cpu&model=trained&eta=0.5&variance=beta&guidance=classifier&w=2&g=4&schedule=ve&spacing=quadratic&k=3&eps=0.0001&m=2&snr=0.2&noise=0.5&embed=1&autoplay=0&theme=dark&layers=curl,data&class=1&origins=https://a.example&train_steps=50&batch=64&lr=0.001&wd=0.1&t_sampling=uniform&train_seed=9&target=flow&clf=1";
    assert!(c.apply_fragment(frag).is_empty());
    let printed: Vec<(String, String)> = serde_urlencoded::from_str(&c.to_fragment()).unwrap();
    assert_eq!(printed.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), names, "every key written, in the table's order");
    for k in keys::KEYS {
        let value = (k.get)(&c).unwrap();
        let mut back = Config::default();
        back.set_points((*c.points).clone());
        back.apply_fragment("dataset=custom&model=trained");
        assert_eq!((k.set)(&mut back, &value), Ok(()), "{}={value}", k.name);
        assert_eq!((k.get)(&back), Some(value.clone()), "{} reads back", k.name);
        // The role decides the restart: change the key alone and compare.
        let other = keys::KEYS.iter().find(|o| o.name == k.name).unwrap();
        let mut changed = c.clone();
        let default_value = (other.get)(&Config { points: c.points.clone(), dataset: c.dataset.clone(), model: ModelKind::Trained, ..Config::default() });
        if let Some(d) = default_value.filter(|d| *d != value) {
            (k.set)(&mut changed, &d).unwrap();
            assert_eq!(changed.same_run(&c), k.role != Role::Run, "{}: {d} against {value}", k.name);
        }
    }
    let o = options();
    for k in keys::KEYS {
        match k.values {
            keys::Values::Choice(all) => assert_eq!(o[k.name].as_array().unwrap().len(), all().len(), "{}", k.name),
            keys::Values::Int(..) | keys::Values::Float(..) => assert_eq!(o[k.name].as_array().unwrap().len(), 2, "{}", k.name),
            _ => {}
        }
        assert_eq!(o["keys"][k.name]["help"], k.help);
    }
    assert_eq!(o["samplerHelp"]["heun"], SamplerId::Heun.help());
    assert_eq!(o["compareShared"].as_array().unwrap().len(), crate::web::link::route::COMPARE_SHARED.len());
    assert_eq!(o["palette"][0], "#ffb040");
}

#[test]
fn the_keys_in_use_follow_the_sampler_and_guidance() {
    let uses = |frag: &str| Config::from_fragment(frag).0.uses();
    assert_eq!(uses("sampler=ddpm"), ["variance", "noise"]);
    assert_eq!(uses("sampler=ddim&eta=0"), ["eta"], "deterministic DDIM injects no noise");
    assert_eq!(uses("sampler=ddim&eta=0.3"), ["eta", "noise"]);
    assert_eq!(uses("sampler=heun&guidance=cfg"), ["w"]);
    assert_eq!(uses("sampler=pc&guidance=classifier"), ["m", "snr", "noise", "g"]);
}
