//! The listening sockets: binding `bind`'s addresses on `port` as Redis's `listenToPort` does
//! (at start, and when CONFIG SET changes `port` or `bind`), and handing new sockets to the
//! running accept loop ([`Listening`]).
//!
//! Sockets are made here, with std and socket2, rather than by the runtime: binding is
//! synchronous and immediate, so CONFIG SET can bind while it runs and answer whether it
//! could, and the runtime only adopts bound sockets (`Listener::from_std`).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::{Mutex, MutexGuard};

use radish_store::{BindAddress, ListenOn, Notify};
use socket2::{Domain, SockRef, Socket, Type};

/// Binds every address `on` names, on its port, as Redis does: an optional address (`-`)
/// this host does not have, or an address family it does not support, is skipped; any other
/// failure fails the whole, after logging it, and closes what was bound. Nothing to listen on
/// (`port 0`, empty `bind`) binds nothing.
pub fn bind_all(on: &ListenOn) -> io::Result<Vec<TcpListener>> {
    let mut bound = Vec::with_capacity(on.addresses.len());
    if on.is_nothing() {
        return Ok(bound);
    }
    for address in &on.addresses {
        match bind_one(address, on.port, on.backlog) {
            Ok(listener) => bound.push(listener),
            Err(error) => {
                tracing::warn!(
                    "Warning: Could not create server TCP listening socket {}:{}: {error}",
                    address.host,
                    on.port
                );
                let missing = error.kind() == io::ErrorKind::AddrNotAvailable;
                if (missing && address.optional) || unsupported_family(&error) {
                    continue;
                }
                return Err(error);
            }
        }
    }
    Ok(bound)
}

/// One listening socket on `address`: IPv6-only for an IPv6 address, address reuse on (a
/// restarted server binds while the old connections linger), non-blocking and closed on exec.
fn bind_one(address: &BindAddress, port: u16, backlog: u32) -> io::Result<TcpListener> {
    let addr = resolve(address, port)?;
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// The socket address for `address` on `port`: `*` is every IPv4 interface, `::*` every IPv6
/// one; an IP address is itself; a name resolves to its first address of the family Redis
/// asks for (IPv6 only if the text holds a `:`, so a host name gives IPv4).
fn resolve(address: &BindAddress, port: u16) -> io::Result<SocketAddr> {
    let ip = match address.host.as_str() {
        "*" => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        "::*" => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        host => match host.parse::<IpAddr>() {
            Ok(ip) => ip,
            Err(_) => {
                let ipv6 = address.is_ipv6();
                return (host, port)
                    .to_socket_addrs()?
                    .find(|addr| addr.is_ipv6() == ipv6)
                    .ok_or_else(|| {
                        io::Error::new(io::ErrorKind::NotFound, "no address of that family")
                    });
            }
        },
    };
    Ok(SocketAddr::new(ip, port))
}

/// The errors Redis skips an address for: the host has no such protocol or address family
/// (an IPv6 address on a host without IPv6).
fn unsupported_family(error: &io::Error) -> bool {
    #[cfg(unix)]
    {
        use rustix::io::Errno;
        matches!(
            Errno::from_io_error(error),
            Some(
                Errno::NOPROTOOPT
                    | Errno::PROTONOSUPPORT
                    | Errno::SOCKTNOSUPPORT
                    | Errno::PFNOSUPPORT
                    | Errno::AFNOSUPPORT
            )
        )
    }
    #[cfg(not(unix))]
    {
        error.kind() == io::ErrorKind::Unsupported
    }
}

/// The server's listening sockets as CONFIG SET moves them, shared by the hook the core calls
/// (`Server::set_listen`, on whichever thread runs the command) and the accept loop, which
/// owns the runtime's sockets and takes new ones over when [`changed`](Listening::changed)
/// fires.
#[derive(Debug)]
pub(crate) struct Listening {
    state: Mutex<State>,
    /// Fires when sockets wait in [`State::handover`].
    pub(crate) changed: Notify,
}

#[derive(Debug)]
struct State {
    /// Handles on the sockets the accept loop listens on (duplicated descriptors), to stop
    /// them from any thread.
    current: Vec<TcpListener>,
    /// Sockets for the accept loop to listen on instead of all it has; empty to listen on
    /// none.
    handover: Option<Vec<TcpListener>>,
}

impl Listening {
    /// Tracks `listeners`, which the accept loop listens on from now.
    pub(crate) fn new(listeners: &[TcpListener]) -> io::Result<Listening> {
        let current = listeners
            .iter()
            .map(TcpListener::try_clone)
            .collect::<io::Result<_>>()?;
        Ok(Listening {
            state: Mutex::new(State {
                current,
                handover: None,
            }),
            changed: Notify::default(),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Redis's `changeListenPort` and `changeBindAddr`: stops listening where the server
    /// listens now, then binds what `on` says and hands it to the accept loop. Connections
    /// already accepted stay. The old sockets stop first, as Redis closes them first, so
    /// that an address they hold can be bound again (`bind` gaining an address on the same
    /// port); if binding fails, the server listens nowhere until the caller binds again
    /// (CONFIG SET restores the old values and does).
    pub(crate) fn relisten(&self, on: &ListenOn) -> io::Result<()> {
        let mut state = self.state();
        for socket in state.current.drain(..) {
            // Shutting a listening socket down takes it out of the listening state at once,
            // even while the accept loop's descriptor keeps it open: its address is free
            // again (address reuse is on), and new connections to it are refused.
            let _ = SockRef::from(&socket).shutdown(Shutdown::Read);
        }
        let bound = bind_all(on).and_then(|bound| {
            let handles = bound
                .iter()
                .map(TcpListener::try_clone)
                .collect::<io::Result<Vec<_>>>()?;
            Ok((bound, handles))
        });
        let result = match bound {
            Ok((bound, handles)) => {
                state.current = handles;
                state.handover = Some(bound);
                Ok(())
            }
            Err(error) => {
                state.handover = Some(Vec::new());
                Err(error)
            }
        };
        drop(state);
        self.changed.notify();
        result
    }

    /// Lets go of every socket, once the accept loop has stopped: the handles kept here
    /// would otherwise keep them listening as long as the server lives (the hook the server
    /// holds holds this).
    pub(crate) fn close(&self) {
        let mut state = self.state();
        state.current.clear();
        state.handover = None;
    }

    /// The sockets handed over since the last call, if any.
    pub(crate) fn take(&self) -> Option<Vec<TcpListener>> {
        self.state().handover.take()
    }

    /// True if sockets wait to be taken over; waits for a [`relisten`](Listening::relisten)
    /// in progress, whose first step may be what made an accept fail.
    pub(crate) fn pending(&self) -> bool {
        self.state().handover.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(bind: &[&str], port: u16) -> ListenOn {
        ListenOn {
            addresses: bind
                .iter()
                .map(|word| BindAddress {
                    host: word.trim_start_matches('-').to_string(),
                    optional: word.starts_with('-'),
                })
                .collect(),
            port,
            backlog: 511,
        }
    }

    fn free_port() -> u16 {
        TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port")
    }

    #[test]
    fn binds_every_address_and_skips_only_what_redis_skips() {
        let port = free_port();
        let bound = bind_all(&on(&["127.0.0.1", "-192.0.2.1"], port)).expect("bound");
        assert_eq!(bound.len(), 1);
        assert_eq!(bound[0].local_addr().unwrap().port(), port);
        // Taken: fails, whether optional or not.
        let error = bind_all(&on(&["-127.0.0.1"], port)).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
        // Not on this host and not optional: fails.
        let error = bind_all(&on(&["192.0.2.1"], free_port())).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AddrNotAvailable);
        assert!(bind_all(&on(&["127.0.0.1"], 0)).unwrap().is_empty());
        assert!(bind_all(&on(&[], port)).unwrap().is_empty());
    }

    #[test]
    fn relisten_frees_the_old_address_and_hands_the_new_sockets_over() {
        let port = free_port();
        let first = bind_all(&on(&["127.0.0.1"], port)).expect("bound");
        let listening = Listening::new(&first).expect("tracked");
        // The same address again: possible only because the old socket stops first.
        listening
            .relisten(&on(&["127.0.0.1"], port))
            .expect("rebound");
        assert!(listening.pending());
        let second = listening.take().expect("handed over");
        assert_eq!(second.len(), 1);
        assert!(listening.take().is_none());
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
        // Elsewhere: the first socket no longer listens although `first` holds it open.
        let other = free_port();
        listening
            .relisten(&on(&["127.0.0.1"], other))
            .expect("moved");
        let third = listening.take().expect("handed over");
        drop(second);
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
        assert!(std::net::TcpStream::connect(("127.0.0.1", other)).is_ok());
        drop((first, third));
        // A failed bind leaves nothing to listen on, and says so.
        let busy = TcpListener::bind("127.0.0.1:0").unwrap();
        let taken = busy.local_addr().unwrap().port();
        assert!(listening.relisten(&on(&["127.0.0.1"], taken)).is_err());
        assert_eq!(listening.take().map(|l| l.len()), Some(0));
    }
}
