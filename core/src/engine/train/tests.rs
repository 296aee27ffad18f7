//! The CPU twin's tests (the kernels' are in tests/gpu_parity.rs).

use super::*;
use crate::science::datasets::Dataset;
use crate::science::rng::gaussian2;

/// 300 steps of batch 128 on the two-moons points: the loss falls (the
/// mean of the last 50 steps below 0.7 of the first 50's).
#[test]
fn the_loss_falls() {
    let (xs, labels) = Dataset::Moons.sample(2000, 3);
    let labels: Vec<u32> = labels.iter().map(|&l| l as u32).collect();
    let run = || {
        let mut p = ScoreParams::init(2, 1);
        let mut opt = AdamW::new(2, 2e-3, 0.0);
        let mut losses = Vec::new();
        for step in 0..300 {
            let b = TrainBatch::draw(&xs, &labels, 2, 128, step, 1, 1, Target::Eps);
            let (loss, g) = loss_and_grads(&p, &b);
            opt.update(&mut p, &g);
            losses.push(loss);
        }
        (p, losses)
    };
    let (_, losses) = run();
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    let (first, last) = (mean(&losses[..50]), mean(&losses[250..]));
    eprintln!("loss {first:.3} → {last:.3}");
    assert!(last < 0.7 * first, "{first} → {last}");
}

#[test]
fn uniforms_match_the_wgsl_layout() {
    use crate::engine::gpu::layout::assert_wgsl_layout;
    assert_wgsl_layout!(TRAIN_WGSL, "GemmParams" => GemmParams { m, n, k, mode, a_off, a_rs, a_cs, b_off, b_rs, b_cs, c_off, c_rs, bias_off, h_off, z_off, pad });
    assert_wgsl_layout!(TRAIN_WGSL, "TrainParams" => TrainParams {
        batch, points, num_classes, seed, t_power, points_off, freqs_off, u_off, target_off, label_off, emb_off, step_off, out_off, dout_off, loss_off,
        du_off, demb_off, params, theta_off, m_off, v_off, g_off, ema_off, warmup, total, t_min, beta_min, beta_max, dropout, lr, beta1, beta2, adam_eps,
        weight_decay, target_kind, weight_off, clf, clf_u_off, clf_label_off, logits_off, dlogits_off, clf_loss_off,
    });
}

/// The host's names for the kernels: every [`Entry`] is an entry point of
/// shaders/train.wgsl (and `ALL` lists them in discriminant order, which
/// indexes the pipelines), and each [`GemmMode`] is the WGSL constant of
/// its name.
#[test]
fn entry_points_and_gemm_modes_are_the_kernels() {
    let module = naga::front::wgsl::parse_str(TRAIN_WGSL).expect("train.wgsl parses");
    let entries: Vec<&str> = module.entry_points.iter().map(|e| e.name.as_str()).collect();
    for (k, e) in gpu::Entry::ALL.iter().enumerate() {
        assert_eq!(*e as usize, k, "{e:?}");
        assert!(entries.contains(&e.name()), "{} is not an entry point of train.wgsl ({entries:?})", e.name());
    }
    assert_eq!(entries.len(), gpu::Entry::ALL.len(), "train.wgsl has entry points the host does not run");
    let constant = |name: &str| {
        let (_, c) = module.constants.iter().find(|(_, c)| c.name.as_deref() == Some(name)).unwrap_or_else(|| panic!("no const {name}"));
        match module.global_expressions[c.init] {
            naga::Expression::Literal(naga::Literal::U32(v)) => v,
            ref other => panic!("{name}: {other:?}"),
        }
    };
    for (mode, name) in [(GemmMode::Plain, "GEMM_PLAIN"), (GemmMode::Silu, "GEMM_SILU"), (GemmMode::SiluGrad, "GEMM_SILU_GRAD")] {
        assert_eq!(mode as u32, constant(name), "{name}");
    }
}

/// A drawn-size set (1 000 two-moons points) trained by the CPU twin
/// with `recipe`, then sampled (DDIM, 50 steps, all classes) from the
/// moving-average weights read as the recipe's target: the energy
/// distance of 1 000 samples to the points, that of the starting
/// weights, and the data-vs-data distance of the same sizes (its mean
/// over 20 pairs of fresh moons draws, the null), with the losses.
fn learn_moons(recipe: Recipe) -> (f64, f64, f64, Vec<f32>) {
    use crate::engine::cpu::CpuSampler;
    use crate::model::{Conditioning, ScoreModel};
    use crate::science::metrics::energy_distance;
    use crate::science::plan::{SamplerKind, Spacing, StepPlan};
    use crate::science::schedule::ScheduleKind;
    let (xs, labels) = Dataset::Moons.sample(1000, 11);
    let labels: Vec<u32> = labels.iter().map(|&l| l as u32).collect();
    let (steps, target) = (recipe.steps, recipe.target);
    let mut trainer = CpuTrainer::new(ScoreParams::init(2, 1), xs.clone(), labels, recipe);
    let start = trainer.ema.clone();
    trainer.run_steps(steps);
    let sample = |p: &ScoreParams| {
        let model = ScoreModel::Mlp { score: p.score_mlp().with_target(target), classifier: None };
        let plan = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::Ddim { eta: 0.0 }, 50, Spacing::Uniform);
        let mut s = CpuSampler::new(plan.clone(), model, Conditioning::class(None), 5, 1000);
        s.run_steps(plan.len());
        energy_distance(&s.particles, &xs)
    };
    let null = (0..20).map(|r| energy_distance(&Dataset::Moons.sample(1000, 100 + 2 * r).0, &Dataset::Moons.sample(1000, 101 + 2 * r).0)).sum::<f64>() / 20.0;
    (sample(&trainer.ema), sample(&start), null, trainer.losses)
}

/// The default recipe (ε): within 2× the data-vs-data distance (the
/// issue's bar). Measured: 1.19× (0.0050 against 0.0042). The recipe was
/// found by measuring here: at lr 2e-3 with uniform t the same 1 200
/// steps reach 11×, at 5e-3 4.4×, at 1e-2 2.2×; u² time sampling brings
/// it to 1.19×. The starting weights (the control) are far outside.
#[test]
fn a_short_recipe_learns_a_drawn_set() {
    let (trained, untrained, null, losses) = learn_moons(Recipe::default());
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    eprintln!("loss {:.3} → {:.3}; energy distance {trained:.4} (untrained {untrained:.4}), data-vs-data {null:.4}", mean(&losses[..50]), mean(&losses[losses.len() - 50..]));
    assert!(trained < 2.0 * null, "{trained} against {null}");
    assert!(untrained > 10.0 * null, "the control: {untrained}");
}

/// The other targets with the same recipe (tuned for ε) and their
/// comparable loss weights (science::targets), read as ε̂ by the
/// sampler: each learns the set. Measured, as ratios to the null: v
/// 2.42×, x0 5.30×, flow 5.27× (x0's reading multiplies its errors by
/// a/σ near the data; flow's weight (1−s)² gives the low-noise end
/// less). The bars are 1.5× those; the untrained control stays far out.
#[test]
fn every_target_learns_a_drawn_set() {
    for (target, bar) in [(Target::X0, 8.0), (Target::V, 3.6), (Target::Flow, 8.0)] {
        let (trained, untrained, null, _) = learn_moons(Recipe { target, ..Recipe::default() });
        eprintln!("{target:?}: energy distance {trained:.4} ({:.2}× the null {null:.4}); untrained {untrained:.4}", trained / null);
        assert!(trained < bar * null, "{target:?}: {trained} against {null}");
        assert!(untrained > 10.0 * null, "{target:?}, the control: {untrained}");
    }
}

/// The page cuts steps into row slices of any size: the weights, their
/// average and the losses are the same bits as whole steps. The control:
/// a different seed's run differs.
#[test]
fn slices_of_any_size_train_the_same_bits() {
    let (xs, labels) = Dataset::Moons.sample(300, 2);
    let labels: Vec<u32> = labels.iter().map(|&l| l as u32).collect();
    let recipe = Recipe { steps: 7, batch: 48, classifier: true, ..Recipe::default() };
    let mut whole = CpuTrainer::new(ScoreParams::init(2, 3), xs.clone(), labels.clone(), recipe.clone());
    assert_eq!(whole.run_steps(100), 7);
    assert_eq!(whole.clf_losses.len(), 7);
    for rows in [1, 5, 17, 48, 100] {
        let mut sliced = CpuTrainer::new(ScoreParams::init(2, 3), xs.clone(), labels.clone(), recipe.clone());
        while !sliced.done() {
            assert!(sliced.work(rows) > 0);
        }
        assert_eq!((&sliced.params, &sliced.ema, &sliced.losses), (&whole.params, &whole.ema, &whole.losses), "slices of {rows} rows");
        assert_eq!((&sliced.clf, &sliced.clf_losses), (&whole.clf, &whole.clf_losses), "the classifier, slices of {rows} rows");
    }
    // The classifier trains beside the score network without changing it.
    let mut alone = CpuTrainer::new(ScoreParams::init(2, 3), xs.clone(), labels.clone(), Recipe { classifier: false, ..recipe.clone() });
    alone.run_steps(7);
    assert_eq!((&alone.params, &alone.losses, &alone.clf), (&whole.params, &whole.losses, &None));
    let mut other = CpuTrainer::new(ScoreParams::init(2, 3), xs, labels, Recipe { seed: 2, ..recipe });
    other.run_steps(7);
    assert_ne!(other.params, whole.params);
}

/// A trained model survives export and import bit for bit; a bad file
/// gets the reason (not safetensors, too big, a missing or misshapen or
/// non-finite tensor, a bad class count), and the folded network equals
/// the loader's folding of the same tensors.
#[test]
fn models_round_trip_and_bad_files_say_why() {
    use crate::model::weights::WeightsError;
    use std::collections::BTreeMap;
    let p = ScoreParams::init(3, 4);
    let meta = BTreeMap::from([("seed".to_string(), "4".to_string()), ("data_hash".to_string(), data_hash(&[[1.0, 2.0]], &[0]))]);
    let bytes = export_model(&p, None, &meta).unwrap();
    let (back, no_clf, m) = import_model(&bytes).unwrap();
    assert_eq!((&back, no_clf), (&p, None));
    assert_eq!((m["dataset"].as_str(), m["num_classes"].as_str(), m["seed"].as_str()), ("custom", "3", "4"));
    assert_eq!(back.score_mlp().class_bias, p.score_mlp().class_bias);
    assert!(matches!(import_model(b"not a model"), Err(WeightsError::Parse(_))));
    assert!(matches!(import_model(&vec![0u8; MODEL_BYTES_MAX + 1]), Err(WeightsError::Parse(e)) if e.contains("more than")));
    let mut bad = p.clone();
    bad.tensors[4][7] = f32::NAN;
    assert_eq!(import_model(&export_model(&bad, None, &meta).unwrap()).unwrap_err(), WeightsError::NotFinite("score.w2".into()));
    let mut nine = BTreeMap::new();
    nine.insert("num_classes".to_string(), "9".to_string());
    let mut wrong = export_model(&p, None, &BTreeMap::new()).unwrap();
    // The same tensors under a class count they do not have.
    let tensors = crate::model::weights::read_tensors(&wrong).unwrap();
    wrong = crate::model::weights::serialize(&tensors, &BTreeMap::from([("num_classes".to_string(), "2".to_string())])).unwrap();
    assert!(matches!(import_model(&wrong), Err(WeightsError::BadTensor { ref name, .. }) if name == "score.class_emb"));
    let many = crate::model::weights::serialize(&tensors, &nine).unwrap();
    assert!(matches!(import_model(&many), Err(WeightsError::BadMetadata { key: "num_classes", .. })));
    let missing: Vec<_> = tensors.iter().filter(|t| t.0 != "score.b3").cloned().collect();
    let missing = crate::model::weights::serialize(&missing, &BTreeMap::from([("num_classes".to_string(), "3".to_string())])).unwrap();
    assert_eq!(import_model(&missing).unwrap_err(), WeightsError::MissingTensor("score.b3".into()));
    assert_ne!(data_hash(&[[1.0, 2.0]], &[0]), data_hash(&[[1.0, 2.0]], &[1]));
    // With the classifier: it comes back too; one of its tensors missing,
    // or not finite, is said by name (a file has all six or none).
    let clf = ClassifierParams::init(3, 4);
    let with = export_model(&p, Some(&clf), &meta).unwrap();
    let (back, back_clf, _) = import_model(&with).unwrap();
    assert_eq!((back, back_clf.as_ref()), (p.clone(), Some(&clf)));
    assert_eq!(back_clf.unwrap().classifier().logits([0.3, -1.0], 0.4), clf.classifier().logits([0.3, -1.0], 0.4));
    let tensors = crate::model::weights::read_tensors(&with).unwrap();
    let partial: Vec<_> = tensors.iter().filter(|t| t.0 != "classifier.b1").cloned().collect();
    let partial = crate::model::weights::serialize(&partial, &BTreeMap::from([("num_classes".to_string(), "3".to_string())])).unwrap();
    assert_eq!(import_model(&partial).unwrap_err(), WeightsError::MissingTensor("classifier.b1".into()));
    let mut bad_clf = clf.clone();
    bad_clf.tensors[4][0] = f32::INFINITY;
    assert_eq!(import_model(&export_model(&p, Some(&bad_clf), &meta).unwrap()).unwrap_err(), WeightsError::NotFinite("classifier.w2".into()));
}

/// The classifier trained beside the score network by the drawn-set
/// recipe's first 300 steps (batch 128, two-moons): its cross-entropy
/// falls (the mean of the last 50 steps below 0.7 of the first 10's,
/// which start near ln 2), and at low noise (t = 0.02) it names the
/// class of 1 000 fresh points (noised) at over 93 %; the starting
/// weights (the control) near chance. Measured: loss 0.69 → 0.36 (the
/// mean over all t: at high noise no classifier can beat ln 2),
/// accuracy 96.8 %, untrained 49 %. Fixed seeds: the figures move only
/// with float rounding.
#[test]
fn the_classifier_learns_beside_the_score_network() {
    let (xs, labels) = Dataset::Moons.sample(1000, 3);
    let labels: Vec<u32> = labels.iter().map(|&l| l as u32).collect();
    let recipe = Recipe { steps: 300, batch: 128, classifier: true, ..Recipe::default() };
    let mut run = CpuTrainer::new(ScoreParams::init(2, 1), xs, labels, recipe);
    run.run_steps(300);
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    let (first, last) = (mean(&run.clf_losses[..10]), mean(&run.clf_losses[250..]));
    let (test, test_labels) = Dataset::Moons.sample(1000, 4);
    let accuracy = |c: &crate::model::Classifier| {
        let right = test.iter().zip(&test_labels).enumerate().filter(|(i, (x, &y))| {
            let e = gaussian2(77, *i as u32, 0, 4);
            let (xt, _, _) = Target::Eps.training_pair(**x, e, 0.02);
            let l = c.logits(xt, 0.02);
            (l[1] > l[0]) == (y == 1)
        });
        right.count() as f32 / test.len() as f32
    };
    let (trained, untrained) = (accuracy(&run.clf.as_ref().unwrap().1.classifier()), accuracy(&ClassifierParams::init(2, 1).classifier()));
    eprintln!("classifier loss {first:.3} → {last:.3}; accuracy at t = 0.02 {trained:.3} (untrained {untrained:.3})");
    assert!(last < 0.7 * first, "{first} → {last}");
    assert!(trained > 0.93, "{trained}");
    assert!((untrained - 0.5).abs() < 0.25, "the control: {untrained}");
}

/// The batch draws: labels dropped to the null class at about 15 %
/// (binomial sd of 4 000 draws: 0.6 %), x_t of unit-ish scale.
#[test]
fn batches_drop_labels_at_the_stated_rate() {
    let pts = vec![[1.0f32, 0.0], [0.0, 1.0]];
    let b = TrainBatch::draw(&pts, &[0, 1], 2, 4000, 7, 2, 1, Target::Eps);
    let dropped = b.labels.iter().filter(|&&l| l == 2).count() as f32 / 4000.0;
    assert!((dropped - LABEL_DROPOUT).abs() < 0.025, "{dropped}");
    assert!(b.x_t.iter().all(|x| x[0].is_finite() && x[0].abs() < 6.0));
}
