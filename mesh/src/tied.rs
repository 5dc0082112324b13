//! Child processes that cannot outlive this one, however it ends (SIGKILL included).
//!
//! The kernel's parent-death signal does it: `setpriv --pdeathsig KILL` (util-linux) sets it and
//! then runs the program, so no `unsafe` `pre_exec` is needed here. The signal follows the death
//! of the *thread* that spawned the child, not of the process, so the child is spawned from a
//! thread of its own that lives exactly as long as the [`TiedChild`]: a child spawned from a
//! short-lived thread (a blocking task's) would be killed when that thread ends.

use std::io;
use std::process::{Child, Command};
use std::sync::mpsc;
use std::thread;

/// util-linux's tool that sets the parent-death signal, then runs the given program in place.
const SETPRIV: &str = "setpriv";

/// A running child and the thread it is tied to.
pub struct TiedChild {
    pub child: Child,
    /// Dropping it ends the spawning thread, which kills the child if it still runs.
    _parent_thread: mpsc::Sender<()>,
}

/// Starts `program` with `args` (and what `configure` sets: directory, streams) so that it gets
/// SIGKILL when this process ends, whatever ends it.
pub fn spawn(
    program: &std::path::Path,
    configure: impl FnOnce(&mut Command) + Send + 'static,
) -> io::Result<TiedChild> {
    let mut command = Command::new(SETPRIV);
    command.args(["--pdeathsig", "KILL", "--"]).arg(program);
    configure(&mut command);
    let (spawned_tx, spawned_rx) = mpsc::channel();
    let (keep_tx, keep_rx) = mpsc::channel::<()>();
    thread::Builder::new()
        .name("tied-child".into())
        .spawn(move || {
            let spawned = command.spawn();
            let running = spawned.is_ok();
            // The caller may be gone already; the child is then killed as this thread ends.
            let _ = spawned_tx.send(spawned);
            if running {
                // Returns when the `TiedChild` is dropped (its sender with it).
                let _ = keep_rx.recv();
            }
        })?;
    let child = spawned_rx
        .recv()
        .map_err(|_| io::Error::other("the thread that starts the child ended first"))?
        .map_err(|error| {
            if error.kind() == io::ErrorKind::NotFound {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("{SETPRIV} (util-linux) is needed to tie the child to this process"),
                )
            } else {
                error
            }
        })?;
    Ok(TiedChild {
        child,
        _parent_thread: keep_tx,
    })
}
