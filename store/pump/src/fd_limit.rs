//! The open-files limit that `maxclients` needs, as Redis's `adjustOpenFilesLimit`: every
//! client is a file descriptor, so the server raises its soft `RLIMIT_NOFILE` to
//! `maxclients` plus a reserve, as far as the hard limit allows, and serves fewer clients when
//! it cannot (many systems start processes with a soft limit of 1024).

use radish_store::RESERVED_FDS;

/// Raises the process's open-files limit so that `maxclients` clients fit, if it is lower and
/// the hard limit allows; returns how many clients fit now: `maxclients`, or fewer (0 if not
/// even the reserve does). What the server is given ([`Server::with_open_files`]).
///
/// [`Server::with_open_files`]: radish_store::Server::with_open_files
#[cfg(unix)]
pub fn fit_maxclients(maxclients: u64) -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let wanted = maxclients.saturating_add(RESERVED_FDS);
    let limit = getrlimit(Resource::Nofile);
    let current = limit.current.unwrap_or(u64::MAX);
    if current >= wanted {
        return maxclients;
    }
    // The most the hard limit allows; if the system refuses it even so (a cap of its own,
    // as macOS's), a value halfway to what there is, until one is accepted.
    let mut best = wanted.min(limit.maximum.unwrap_or(u64::MAX));
    let mut refused = None;
    let granted = loop {
        if best <= current {
            break current;
        }
        let raised = Rlimit {
            current: Some(best),
            maximum: limit.maximum,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => break best,
            Err(error) => {
                refused.get_or_insert(error);
                best = current + (best - current) / 2;
            }
        }
    };
    if let Some(error) = refused {
        tracing::warn!(
            "Server can't set maximum open files to {wanted} because of OS error: {error}."
        );
    }
    if granted < wanted {
        tracing::warn!(
            "You requested maxclients of {maxclients} requiring at least {wanted} max file \
             descriptors."
        );
    } else {
        tracing::info!(
            "Increased maximum number of open files to {wanted} (it was originally set to \
             {current})."
        );
    }
    granted.saturating_sub(RESERVED_FDS).min(maxclients)
}

/// Without Unix resource limits, every requested client fits.
#[cfg(not(unix))]
pub fn fit_maxclients(maxclients: u64) -> u64 {
    maxclients
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use rustix::process::{getrlimit, Resource};

    #[test]
    fn fits_what_the_hard_limit_allows_and_no_more() {
        let limit = getrlimit(Resource::Nofile);
        let current = limit.current.unwrap_or(u64::MAX);
        // What the soft limit holds already fits, and the limit is left as it was.
        let small = current.saturating_sub(RESERVED_FDS).min(100);
        assert_eq!(fit_maxclients(small), small);
        assert_eq!(getrlimit(Resource::Nofile).current, limit.current);
        // More than the hard limit allows: as many as it does.
        if let Some(hard) = limit.maximum {
            let fits = fit_maxclients(hard.saturating_mul(2));
            assert!(fits <= hard - RESERVED_FDS, "{fits}");
            assert_eq!(
                getrlimit(Resource::Nofile).current,
                Some(fits + RESERVED_FDS)
            );
        }
    }
}
