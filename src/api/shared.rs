//! [`SharedVec`]: a list its clones share, copied on the first change.

use std::fmt;
use std::sync::Arc;

/// A list shared between its clones: a clone is a reference count, and a change copies the
/// entries first when a clone shares them (`Arc::make_mut`). An empty list allocates nothing
/// (invariant: empty is `None`, kept by [`From`] and [`clear`](Self::clear)). Equal, hashed
/// and printed as its slice, so a type that held a `Vec` can hold one without changing what
/// it compares, hashes (pod template hashes) or prints. What [`ResourceList`] and a label
/// selector's requirements are built on: the objects and selectors the controllers and the
/// scheduler copy per pod and per cycle.
///
/// [`ResourceList`]: crate::api::resources::ResourceList
pub struct SharedVec<T>(Option<Arc<Vec<T>>>);

impl<T> SharedVec<T> {
    /// An empty list.
    pub const fn new() -> SharedVec<T> {
        SharedVec(None)
    }

    pub fn as_slice(&self) -> &[T] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }

    /// Whether the list holds an allocation (an empty one does not).
    pub fn is_allocated(&self) -> bool {
        self.0.is_some()
    }

    /// How many entries the allocation holds room for (0 without one).
    pub fn capacity(&self) -> usize {
        self.0.as_ref().map_or(0, |list| list.capacity())
    }

    /// Whether `other` shares this list's entries (a clone not changed since).
    pub fn shares_with(&self, other: &SharedVec<T>) -> bool {
        matches!((&self.0, &other.0), (Some(a), Some(b)) if Arc::ptr_eq(a, b))
    }

    /// The entries to change, copied first if another list shares them. (Left empty, the list
    /// keeps its allocation until [`clear`](Self::clear).)
    pub fn make_mut(&mut self) -> &mut Vec<T>
    where
        T: Clone,
    {
        Arc::make_mut(self.0.get_or_insert_with(Default::default))
    }

    /// The entries, if no other list shares them (no copy).
    pub fn get_mut(&mut self) -> Option<&mut Vec<T>> {
        self.0.as_mut().and_then(Arc::get_mut)
    }

    /// The entries, moved out if no other list shares them, else copied.
    pub fn into_vec(self) -> Vec<T>
    where
        T: Clone,
    {
        self.0.map(Arc::unwrap_or_clone).unwrap_or_default()
    }

    /// Empties the list, releasing its share.
    pub fn clear(&mut self) {
        self.0 = None;
    }
}

impl<T> Clone for SharedVec<T> {
    fn clone(&self) -> SharedVec<T> {
        SharedVec(self.0.clone())
    }
}

impl<T> Default for SharedVec<T> {
    fn default() -> SharedVec<T> {
        SharedVec::new()
    }
}

impl<T> From<Vec<T>> for SharedVec<T> {
    fn from(list: Vec<T>) -> SharedVec<T> {
        SharedVec((!list.is_empty()).then(|| Arc::new(list)))
    }
}

impl<T> std::ops::Deref for SharedVec<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: PartialEq> PartialEq for SharedVec<T> {
    fn eq(&self, other: &SharedVec<T>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Eq> Eq for SharedVec<T> {}

impl<T: std::hash::Hash> std::hash::Hash for SharedVec<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl<T: fmt::Debug> fmt::Debug for SharedVec<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_slice().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_until_one_changes() {
        let mut a: SharedVec<String> = vec!["x".to_string()].into();
        let b = a.clone();
        assert!(a.shares_with(&b), "a clone shares the entries");
        assert!(a.get_mut().is_none(), "shared: no unique access");
        a.make_mut().push("y".to_string());
        assert_eq!((a.as_slice(), b.as_slice()), (&["x".to_string(), "y".to_string()][..], &["x".to_string()][..]));
        assert!(a.get_mut().is_some() && !a.shares_with(&b), "copied on change: unique again");
        let c = b.clone();
        assert_eq!((b.into_vec(), c.into_vec()), (vec!["x".to_string()], vec!["x".to_string()]));
    }

    #[test]
    fn empty_allocates_nothing_and_compares_hashes_and_prints_as_its_slice() {
        use std::hash::BuildHasher;
        let empty: SharedVec<i32> = Vec::new().into();
        assert!(!empty.is_allocated() && empty.capacity() == 0);
        let mut cleared: SharedVec<i32> = vec![1].into();
        cleared.clear();
        assert!(!cleared.is_allocated());
        assert_eq!(cleared, empty);
        let list: SharedVec<i32> = vec![1, 2].into();
        let hasher = std::hash::BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default();
        assert_eq!(hasher.hash_one(&list), hasher.hash_one(vec![1, 2]));
        assert_eq!(format!("{list:?}"), "[1, 2]");
    }
}
