//! The engine's class table: every loaded class by name, cheap to clone.
//!
//! Entries are shared (`Rc`) between clones and copied the first time one changes while a
//! clone holds it (`Rc::make_mut`). So the daemon can keep the engine as it was before a
//! fact for the cost of a few pointer copies, and a fact that panics is rolled back to it
//! (see `Engine::handle` and the daemon's `feed`): only the classes the fact touched were
//! ever copied.

use super::ClassEntry;
use std::collections::BTreeMap;
use std::rc::Rc;

#[derive(Clone, Default)]
pub(crate) struct ClassTable(BTreeMap<Rc<str>, Rc<ClassEntry>>);

impl ClassTable {
    pub(crate) fn get(&self, name: &str) -> Option<&ClassEntry> {
        self.0.get(name).map(Rc::as_ref)
    }

    /// The entry to change; copied first if a clone of the table still shares it.
    pub(crate) fn get_mut(&mut self, name: &str) -> Option<&mut ClassEntry> {
        self.0.get_mut(name).map(Rc::make_mut)
    }

    pub(crate) fn contains_key(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    pub(crate) fn insert(&mut self, name: &str, entry: ClassEntry) {
        self.0.insert(Rc::from(name), Rc::new(entry));
    }

    pub(crate) fn remove(&mut self, name: &str) {
        self.0.remove(name);
    }

    /// By name, in name order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &ClassEntry)> {
        self.0
            .iter()
            .map(|(name, entry)| (name.as_ref(), entry.as_ref()))
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &ClassEntry> {
        self.0.values().map(Rc::as_ref)
    }

    /// Every entry to change (each copied first if a clone still shares it).
    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut ClassEntry> {
        self.0.values_mut().map(Rc::make_mut)
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(|name| name.as_ref())
    }
}

impl std::ops::Index<&str> for ClassTable {
    type Output = ClassEntry;

    /// Panics when `name` is not loaded: for tests only, the engine itself uses `get`.
    fn index(&self, name: &str) -> &ClassEntry {
        &self.0[name]
    }
}
