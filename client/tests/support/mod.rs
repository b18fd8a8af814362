//! An in-memory transport with a scripted server on the other end, and a timer the test
//! fires by hand: the driver's reply matching tested without sockets or real time.

use std::future::{poll_fn, Future};
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use radish_client::{connection, Client, Config, Driver, Timer, Transport};
use radish_resp::RequestDecoder;

#[derive(Default)]
struct Pipe {
    to_server: BytesMut,
    to_client: BytesMut,
    client_waker: Option<Waker>,
    server_waker: Option<Waker>,
    closed: bool,
}

/// The client's end of the pipe.
#[derive(Clone, Default)]
pub struct Memory(Arc<Mutex<Pipe>>);

impl Transport for Memory {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut BytesMut) -> Poll<io::Result<usize>> {
        let mut pipe = self.0.lock().unwrap();
        if !pipe.to_client.is_empty() {
            let n = pipe.to_client.len();
            buf.extend_from_slice(&pipe.to_client.split());
            return Poll::Ready(Ok(n));
        }
        if pipe.closed {
            return Poll::Ready(Ok(0));
        }
        pipe.client_waker = Some(cx.waker().clone());
        Poll::Pending
    }

    fn poll_write(&mut self, _: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let mut pipe = self.0.lock().unwrap();
        pipe.to_server.extend_from_slice(data);
        if let Some(waker) = pipe.server_waker.take() {
            waker.wake();
        }
        Poll::Ready(Ok(data.len()))
    }
}

/// The scripted server's end.
pub struct Server {
    pipe: Memory,
    decoder: RequestDecoder,
}

impl Server {
    /// The next request the client wrote, as text arguments; waits until one is there.
    pub async fn request(&mut self) -> Vec<String> {
        poll_fn(|cx| {
            let mut pipe = self.pipe.0.lock().unwrap();
            match self
                .decoder
                .decode(&mut pipe.to_server)
                .expect("valid request")
            {
                Some(args) => Poll::Ready(
                    args.iter()
                        .map(|arg| String::from_utf8_lossy(arg).into_owned())
                        .collect(),
                ),
                None => {
                    pipe.server_waker = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await
    }

    /// Bytes the client wrote that no request has been read from yet.
    pub fn unread(&self) -> usize {
        self.pipe.0.lock().unwrap().to_server.len()
    }

    /// Sends raw reply bytes.
    pub fn reply(&self, bytes: &[u8]) {
        let mut pipe = self.pipe.0.lock().unwrap();
        pipe.to_client.extend_from_slice(bytes);
        if let Some(waker) = pipe.client_waker.take() {
            waker.wake();
        }
    }

    /// Hangs up.
    pub fn close(&self) {
        let mut pipe = self.pipe.0.lock().unwrap();
        pipe.closed = true;
        if let Some(waker) = pipe.client_waker.take() {
            waker.wake();
        }
    }
}

/// A timer whose sleeps all complete when the test calls [`ManualTimer::fire`].
#[derive(Clone, Default)]
pub struct ManualTimer(Arc<(AtomicBool, Mutex<Vec<Waker>>)>);

impl ManualTimer {
    /// Completes every sleep, now and later.
    pub fn fire(&self) {
        self.0 .0.store(true, Ordering::SeqCst);
        for waker in self.0 .1.lock().unwrap().drain(..) {
            waker.wake();
        }
    }
}

impl Timer for ManualTimer {
    fn sleep(&self, _: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let shared = self.0.clone();
        Box::pin(poll_fn(move |cx| {
            if shared.0.load(Ordering::SeqCst) {
                return Poll::Ready(());
            }
            shared.1.lock().unwrap().push(cx.waker().clone());
            Poll::Pending
        }))
    }
}

/// A client over an in-memory pipe, its driver, the server's end and the timer.
pub fn pair(config: Config) -> (Client, Driver<Memory>, Server, ManualTimer) {
    let pipe = Memory::default();
    let timer = ManualTimer::default();
    let (client, driver) = connection(pipe.clone(), config, Arc::new(timer.clone()));
    let server = Server {
        pipe,
        decoder: RequestDecoder::new(),
    };
    (client, driver, server, timer)
}

/// Runs `test` while driving the connection, on the current thread.
pub fn run<F: Future>(driver: Driver<Memory>, test: F) -> F::Output {
    futures_lite::future::block_on(futures_lite::future::or(test, async move {
        driver.await;
        std::future::pending().await
    }))
}

/// A bulk string reply.
pub fn bulk(text: &str) -> Vec<u8> {
    format!("${}\r\n{text}\r\n", text.len()).into_bytes()
}

/// `Bytes` from text, for comparisons.
pub fn bytes(text: &str) -> Bytes {
    Bytes::copy_from_slice(text.as_bytes())
}

/// Polls `future` once, so a request is sent without waiting for its reply.
pub async fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(Pin::new(&mut *future).poll(cx))).await
}

/// Lets the driver run until it has nothing left to do.
pub async fn settle() {
    for _ in 0..8 {
        futures_lite::future::yield_now().await;
    }
}
