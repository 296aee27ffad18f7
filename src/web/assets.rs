//! The shipped model files, fetched on first use: where each lies, one
//! loader with one set of messages, and one cache (loading / ready /
//! failed) the playground and the labs share the shape of (wasm32 only).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::model::weights::{EnergyFile, ModelFile, WeightsError};
use crate::science::datasets::Dataset;
use crate::web::js::fetch_bytes;

/// A kind of shipped model file, with where the page finds it (relative to the page).
pub trait Asset: Sized + 'static {
    /// The model's name in messages and in `model=` (`learned`, `energy`).
    const KIND: &'static str;
    fn url(d: Dataset) -> String;
    fn parse(bytes: &[u8], d: Dataset) -> Result<Self, WeightsError>;
}

impl Asset for ModelFile {
    const KIND: &'static str = "learned";
    fn url(d: Dataset) -> String {
        format!("models/{}.safetensors", d.id())
    }
    fn parse(bytes: &[u8], d: Dataset) -> Result<Self, WeightsError> {
        ModelFile::from_bytes(bytes, d)
    }
}

/// The energy model (model::energy).
impl Asset for EnergyFile {
    const KIND: &'static str = "energy";
    fn url(d: Dataset) -> String {
        format!("models/{}.energy.safetensors", d.id())
    }
    fn parse(bytes: &[u8], d: Dataset) -> Result<Self, WeightsError> {
        EnergyFile::from_bytes(bytes, d)
    }
}

/// Fetches and checks dataset `d`'s file of kind `F`, or says why it cannot be used.
pub async fn load<F: Asset>(d: Dataset) -> Result<F, String> {
    let url = F::url(d);
    match fetch_bytes(&url).await {
        Ok(bytes) => F::parse(&bytes, d).map_err(|e| format!("the {} model for {} ({url}) is unusable: {e}", F::KIND, d.id())),
        Err(e) => Err(format!("the {} model for {} ({url}) could not be loaded: {e}", F::KIND, d.id())),
    }
}

/// One dataset's file in the cache.
pub enum Slot<F> {
    Loading,
    Ready(Rc<F>),
    Failed(String),
}

/// The files of one kind fetched so far, by dataset. Cloning shares the cache.
pub struct Cache<F> {
    slots: Rc<RefCell<HashMap<Dataset, Slot<F>>>>,
}

impl<F> Clone for Cache<F> {
    fn clone(&self) -> Self {
        Self { slots: self.slots.clone() }
    }
}

impl<F> Default for Cache<F> {
    fn default() -> Self {
        Self { slots: Rc::default() }
    }
}

impl<F: Asset> Cache<F> {
    /// `d`'s file: `Ok(None)` while it loads — the fetch starts on the first
    /// ask, and `landed` runs once it has landed (ready or failed) — `Err`
    /// with the reason once it failed.
    pub fn get(&self, d: Dataset, landed: impl FnOnce() + 'static) -> Result<Option<Rc<F>>, String> {
        match self.slots.borrow().get(&d) {
            Some(Slot::Ready(file)) => return Ok(Some(file.clone())),
            Some(Slot::Failed(e)) => return Err(e.clone()),
            Some(Slot::Loading) => return Ok(None),
            None => {}
        }
        self.slots.borrow_mut().insert(d, Slot::Loading);
        let slots = self.slots.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let slot = match load::<F>(d).await {
                Ok(file) => Slot::Ready(Rc::new(file)),
                Err(e) => Slot::Failed(e),
            };
            slots.borrow_mut().insert(d, slot);
            landed();
        });
        Ok(None)
    }

    /// `d`'s file if it has landed and is usable.
    pub fn ready(&self, d: Dataset) -> Option<Rc<F>> {
        match self.slots.borrow().get(&d) {
            Some(Slot::Ready(file)) => Some(file.clone()),
            _ => None,
        }
    }
}
