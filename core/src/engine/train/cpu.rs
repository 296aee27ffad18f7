//! The CPU twin's training run.

use super::{accumulate_classifier_rows, accumulate_rows, ema_decay, AdamW, ClassifierParams, Recipe, ScoreParams, TrainBatch};

/// The CPU twin's run: parameters, their exponential moving average (the
/// weights a run keeps), AdamW, and the losses so far; with the recipe's
/// classifier, its parameters, average and losses too. It advances by rows
/// ([`CpuTrainer::work`]) so the page can cut a step into frame-sized
/// slices; the sums are the same however it is cut.
#[derive(Clone, Debug)]
pub struct CpuTrainer {
    pub params: ScoreParams,
    pub ema: ScoreParams,
    pub recipe: Recipe,
    pub step: u32,
    pub losses: Vec<f32>,
    /// The classifier's parameters and their moving average (`recipe.classifier`).
    pub clf: Option<(ClassifierParams, ClassifierParams)>,
    pub clf_losses: Vec<f32>,
    opt: AdamW,
    points: Vec<[f32; 2]>,
    labels: Vec<u32>,
    /// The step under way: its batch, the next row, the gradients and losses so far.
    partial: Option<Partial>,
}

#[derive(Clone, Debug)]
struct Partial {
    batch: TrainBatch,
    at: usize,
    g: ScoreParams,
    loss: f64,
    clf_g: ClassifierParams,
    clf_loss: f64,
}

impl CpuTrainer {
    pub fn new(params: ScoreParams, points: Vec<[f32; 2]>, labels: Vec<u32>, recipe: Recipe) -> Self {
        let opt = AdamW::new(params.num_classes, recipe.lr, recipe.weight_decay);
        let clf = recipe.classifier.then(|| {
            let c = ClassifierParams::init(params.num_classes, recipe.seed);
            (c.clone(), c)
        });
        Self { ema: params.clone(), params, recipe, step: 0, losses: Vec::new(), clf, clf_losses: Vec::new(), opt, points, labels, partial: None }
    }

    pub fn done(&self) -> bool {
        self.step as usize >= self.recipe.steps
    }

    /// Up to `rows` rows of training (across steps); returns the rows done.
    pub fn work(&mut self, rows: usize) -> usize {
        let mut done = 0;
        while done < rows && !self.done() {
            let nc = self.params.num_classes;
            let mut part = match self.partial.take() {
                Some(p) => p,
                None => {
                    let r = &self.recipe;
                    let batch = TrainBatch::draw(&self.points, &self.labels, nc, r.batch, self.step, r.seed, r.t_power, r.target);
                    Partial { batch, at: 0, g: ScoreParams::zeros(nc), loss: 0.0, clf_g: ClassifierParams::zeros(if self.clf.is_some() { nc } else { 0 }), clf_loss: 0.0 }
                }
            };
            let (at, len) = (part.at, part.batch.x_t.len());
            let end = (at + rows - done).min(len);
            part.loss += accumulate_rows(&self.params, &part.batch, at..end, &mut part.g);
            if let Some((cp, _)) = &self.clf {
                part.clf_loss += accumulate_classifier_rows(cp, &part.batch, at..end, &mut part.clf_g);
            }
            done += end - at;
            if end < len {
                part.at = end;
                self.partial = Some(part);
                break;
            }
            self.opt.lr = self.recipe.lr_at(self.step) as f64;
            let decay = ema_decay(self.step);
            let average = |ema: &mut [Vec<f32>], p: &[Vec<f32>]| {
                for (e, p) in ema.iter_mut().flatten().zip(p.iter().flatten()) {
                    *e = decay * *e + (1.0 - decay) * p;
                }
            };
            match &mut self.clf {
                Some((cp, cema)) => {
                    self.opt.update_both(&mut self.params, &part.g, Some((cp, &part.clf_g)));
                    average(&mut cema.tensors, &cp.tensors);
                    self.clf_losses.push((part.clf_loss / len as f64) as f32);
                }
                None => self.opt.update(&mut self.params, &part.g),
            }
            average(&mut self.ema.tensors, &self.params.tensors);
            self.losses.push((part.loss / (2 * len) as f64) as f32);
            self.step += 1;
        }
        done
    }

    /// Up to `count` whole steps (fewer at the end of the recipe); returns how many ran.
    pub fn run_steps(&mut self, count: usize) -> usize {
        let start = self.step;
        let end = (self.step as usize + count).min(self.recipe.steps);
        while (self.step as usize) < end {
            self.work(self.recipe.batch);
        }
        (self.step - start) as usize
    }
}
