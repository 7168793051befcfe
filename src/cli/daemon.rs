//! `iarss daemon`, the long-running service, and `iarss serve`, the same HTTP side without
//! the scheduler.

use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tracing::{error, info};

use super::EXIT_OK;
use super::args::DaemonArgs;
use super::error::{CliError, CliResult};
use crate::access::Access;
use crate::config::Config;
use crate::fetch::Fetcher;
use crate::http::{AppState, router};
use crate::notify::Notifier;
use crate::schedule::{Heartbeat, Scheduler};
use crate::service::Service;
use crate::store::{Backend, Store};

/// Which of the two long-running commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `iarss daemon`: the scheduler and the HTTP side.
    Daemon,
    /// `iarss serve`: the HTTP side only.
    Serve,
}

/// Runs `iarss daemon` or `iarss serve`.
pub fn run(db: Option<&str>, args: DaemonArgs, role: Role) -> CliResult {
    let mut config = Config::load(args.config.as_deref(), std::env::vars())
        .map_err(|e| CliError::usage(e.to_string()))?;
    // Flags beat the environment, which beats the file.
    if let Some(db) = db {
        config.database_url = db.to_string();
    }
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if args.print_config {
        print!("{}", config.to_toml_masked());
        return Ok(EXIT_OK);
    }
    super::init_tracing(config.json_logs, "info", true);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(serve(config, role))
}

/// The lock that makes one daemon the owner of a SQLite database.
fn lock_sqlite(url: &str) -> Result<File, String> {
    let path = url.trim_start_matches("sqlite://");
    let path = path.split('?').next().unwrap_or(path);
    let lock_path = PathBuf::from(format!("{path}.daemon-lock"));
    let file = File::create(&lock_path)
        .map_err(|e| format!("cannot create {}: {e}", lock_path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(_) => Err(format!(
            "another iarss daemon owns {url} (lock {}); on SQLite one daemon owns the database — use PostgreSQL to run several",
            lock_path.display()
        )),
    }
}

async fn serve(config: Config, role: Role) -> CliResult {
    // Before anything opens a file: a server's open-file limit is its hard limit.
    let open_files = crate::http::listener::raise_open_file_limit();
    let store = Store::open_with(&config.database_url, &config.store_options()).await?;
    // Only the scheduler writes leases; `serve` next to a daemon on one SQLite file is fine.
    let _lock = if store.backend() == Backend::Sqlite && role == Role::Daemon {
        match lock_sqlite(&config.database_url) {
            Ok(f) => {
                // Holding the lock proves that whoever holds a lease is dead.
                match store.release_all_leases().await {
                    Ok(0) => {}
                    Ok(n) => info!(released = n, "released the leases of a previous daemon"),
                    Err(e) => tracing::warn!(error = %e, "releasing stale leases failed"),
                }
                match store.release_all_delivery_leases().await {
                    Ok(0) => {}
                    Ok(n) => info!(
                        released = n,
                        "released the delivery leases of a previous daemon"
                    ),
                    Err(e) => tracing::warn!(error = %e, "releasing stale delivery leases failed"),
                }
                Some(f)
            }
            Err(e) => return Err(CliError::failure(e)),
        }
    } else {
        None
    };
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&[
            0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
        ])
        .ok()
        .and_then(|b| b.install_recorder().ok());
    let fetch = config.fetch_config();
    let fetcher = Fetcher::new(fetch.clone()).map_err(|e| CliError::failure(e.to_string()))?;
    let access = Access::new(store.clone(), config.access_settings());
    let run = config.run_options(fetch.clone(), fetcher.clone());
    let service = Service::new(store.clone(), access, fetch, fetcher)
        .with_run_options(&run)
        .with_email(!config.notify.smtp.host.is_empty());
    let schedule = config.schedule_options();
    let owner = format!(
        "{}-{}-{}",
        std::env::var("HOSTNAME").unwrap_or_else(|_| "iarss".into()),
        std::process::id(),
        crate::model::now_ms()
    );
    let heartbeat = Arc::new(Heartbeat::default());
    heartbeat.beat();
    let (stop_tx, stop_rx) = watch::channel(false);
    let (stale_after_ms, scheduler_task, notify_task) = match role {
        Role::Daemon => {
            // Deliveries run in a task of their own, never in the scheduler's way.
            let notifier = Notifier::new(store.clone(), owner.clone(), config.notify_options())
                .map_err(CliError::failure)?;
            let scheduler = Scheduler::new(
                store.clone(),
                owner.clone(),
                schedule.clone(),
                run,
                Arc::clone(&heartbeat),
            );
            (
                (schedule.tick.as_millis() as i64) * 3 + 10_000,
                Some(tokio::spawn(scheduler.run(stop_rx.clone()))),
                Some(tokio::spawn(notifier.run(stop_rx.clone()))),
            )
        }
        // No loop to watch.
        Role::Serve => (i64::MAX, None, None),
    };

    let listener = match tokio::net::TcpListener::bind(config.listen).await {
        Ok(l) => l,
        Err(e) => {
            let _ = stop_tx.send(true);
            if let Some(task) = scheduler_task {
                let _ = task.await;
            }
            if let Some(task) = notify_task {
                let _ = task.await;
            }
            return Err(CliError::failure(format!(
                "cannot listen on {}: {e}",
                config.listen
            )));
        }
    };
    let what = match role {
        Role::Daemon => "iarss daemon running",
        Role::Serve => "iarss serve running (no scheduler)",
    };
    info!(listen = %config.listen, owner = %owner, database = %crate::store::mask_url(&config.database_url), "{what}");
    let app = router(AppState {
        store: store.clone(),
        metrics,
        heartbeat,
        stale_after_ms,
        service,
        web_enabled: config.web.enabled,
        trusted_proxies: Arc::new(config.web.trusted_proxies.0.clone()),
    });
    let limits = config.server_limits(open_files, store.max_connections());
    info!(
        open_files = open_files.unwrap_or_default(),
        max_connections = limits.max_connections,
        "connection limits"
    );
    let server = tokio::spawn(crate::http::listener::serve(
        listener,
        app,
        limits,
        stop_rx.clone(),
    ));
    wait_for_signal().await;
    info!("shutting down: no new claims; finishing in-flight runs");
    let _ = stop_tx.send(true);
    if let Some(task) = scheduler_task
        && let Err(e) = task.await
    {
        error!(error = %e, "the scheduler ended badly");
    }
    if let Some(task) = notify_task
        && let Err(e) = task.await
    {
        error!(error = %e, "the delivery worker ended badly");
    }
    match tokio::time::timeout(Duration::from_secs(10), server).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => error!(error = %e, "the HTTP server failed"),
        Err(_) => error!("the HTTP server did not stop in time"),
    }
    store.close().await;
    info!("stopped");
    Ok(EXIT_OK)
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = ctrl_c.await;
            return;
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
