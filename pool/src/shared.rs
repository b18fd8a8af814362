//! [`Shared`]: what the pool, its connections and its background tasks share, the state
//! behind its one lock first. Changes to the state go through [`Shared::update`], beside the
//! background tasks it starts (`tasks.rs`).

use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::config::Config;
use crate::connect::{Connect, Runtime};
use crate::effects::Effects;
use crate::state::State;

/// The pool's state, locked.
pub(crate) type Locked<'a, C> =
    MutexGuard<'a, State<<C as Connect>::Connection, <C as Connect>::Error>>;
/// The effects a state change asks for.
pub(crate) type Fx<C> = Effects<<C as Connect>::Connection>;

/// What the pool, its connections and its background tasks share.
///
/// `repr(C)` with the lock first puts the lock beside the `Arc`'s reference count, which
/// every checkout also touches: one contended cache line per checkout instead of two.
#[repr(C)]
pub(crate) struct Shared<C: Connect, R: Runtime> {
    /// The one lock. A std mutex: it is never held across an await, nor while user code
    /// runs (`Connect`, a waker, a connection's drop, `Runtime::spawn`), except the clock
    /// read `Runtime::now`.
    state: Mutex<State<C::Connection, C::Error>>,
    pub connect: C,
    pub runtime: R,
    pub config: Config,
}

impl<C: Connect, R: Runtime> Shared<C, R> {
    /// A pool's shared part, with nothing in it yet.
    pub fn new(connect: C, runtime: R, config: Config) -> Self {
        Shared {
            connect,
            runtime,
            config,
            state: Mutex::new(State::new()),
        }
    }

    pub fn lock(&self) -> Locked<'_, C> {
        // Nothing panics while the lock is held, so a poisoned state is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
