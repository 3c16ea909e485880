//! The synchronisation seam: what the crate's concurrent types are built on. Normally the
//! standard library's locks and `arc_swap::ArcSwap`; compiled with `--cfg ggen_loom` (the loom
//! model tests, `tests/loom.rs`), loom's modelled `Mutex` and `Condvar`, and an `ArcSwap` stand-in
//! whose every load and compare-and-swap is a modelled step, so loom can run the code between
//! them in every order.
//!
//! The cfg is the crate's own (`ggen_loom`, not `loom`): tokio and other dependencies change
//! themselves under `--cfg loom`, which is not what these models are about.

#[cfg(not(ggen_loom))]
pub(crate) use arc_swap::{ArcSwap, Guard};
#[cfg(not(ggen_loom))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

#[cfg(ggen_loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(ggen_loom)]
pub(crate) use model::ArcSwap;
#[cfg(ggen_loom)]
pub use model::Guard;

#[cfg(ggen_loom)]
mod model {
    use std::sync::Arc;

    /// A loaded value (arc-swap's `Guard` holds it without a reference count; here it is a plain
    /// `Arc` clone, which the models do not depend on).
    #[derive(Debug)]
    pub struct Guard<A>(A);

    impl<A> std::ops::Deref for Guard<A> {
        type Target = A;

        fn deref(&self) -> &A {
            &self.0
        }
    }

    /// `arc_swap::ArcSwap`'s contract, linearisable: a load and a compare-and-swap are each
    /// one atomic step (a modelled lock), so loom interleaves other threads between them.
    #[derive(Debug)]
    pub(crate) struct ArcSwap<T> {
        current: loom::sync::RwLock<Arc<T>>,
    }

    impl<T> ArcSwap<T> {
        pub(crate) fn from_pointee(value: T) -> Self {
            Self {
                current: loom::sync::RwLock::new(Arc::new(value)),
            }
        }

        pub(crate) fn load(&self) -> Guard<Arc<T>> {
            Guard(self.load_full())
        }

        pub(crate) fn load_full(&self) -> Arc<T> {
            Arc::clone(&self.current.read().expect("not poisoned"))
        }

        /// Installs `new` if the current value is `expected` (by address); returns the value
        /// found, as arc-swap does.
        pub(crate) fn compare_and_swap(
            &self,
            expected: &Guard<Arc<T>>,
            new: Arc<T>,
        ) -> Guard<Arc<T>> {
            let mut current = self.current.write().expect("not poisoned");
            let found = Arc::clone(&current);
            if Arc::ptr_eq(&found, expected) {
                *current = new;
            }
            Guard(found)
        }
    }
}
