//! A runtime-agnostic wake-up: one side notifies, the other awaits. Built on `std::task::Waker`
//! only, so the store needs no runtime to tell a connection's task that something happened.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

/// A notification flag with one waiting task. A notification sent while nobody waits is kept
/// until the next wait, so none is lost.
#[derive(Debug, Default)]
pub struct Notify {
    state: Mutex<NotifyState>,
}

#[derive(Debug, Default)]
struct NotifyState {
    notified: bool,
    waker: Option<Waker>,
}

impl Notify {
    /// Sets the flag and wakes the waiting task, if any.
    pub fn notify(&self) {
        let waker = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.notified = true;
            state.waker.take()
        };
        // Wake outside the lock: the woken task may poll (and lock) straight away.
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Completes once the flag is set, and clears it.
    pub fn notified(&self) -> Notified<'_> {
        Notified { signal: self }
    }

    /// Clears the flag and returns whether it was set, without waiting.
    pub fn take(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut state.notified)
    }
}

/// The future returned by [`Notify::notified`].
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct Notified<'a> {
    signal: &'a Notify,
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.signal.state.lock().unwrap_or_else(|e| e.into_inner());
        if std::mem::take(&mut state.notified) {
            return Poll::Ready(());
        }
        match &state.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => state.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(std::sync::atomic::AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn notification_before_and_after_waiting() {
        let signal = Notify::default();
        let count = Arc::new(Count(Default::default()));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);

        let mut wait = signal.notified();
        assert!(Pin::new(&mut wait).poll(&mut cx).is_pending());
        signal.notify();
        assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(Pin::new(&mut wait).poll(&mut cx).is_ready());

        // Kept while nobody waits.
        signal.notify();
        assert!(Pin::new(&mut signal.notified()).poll(&mut cx).is_ready());
        assert!(Pin::new(&mut signal.notified()).poll(&mut cx).is_pending());
    }
}
