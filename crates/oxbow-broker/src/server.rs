//! The listeners: each accepts connections up to `max.connections` (shared
//! by all listeners) and runs each on its own task; SSL and SASL_SSL
//! listeners run the TLS handshake first (bounded by `TLS_HANDSHAKE_TIMEOUT_MS`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tracing::Instrument;

use crate::connection;
use crate::security::sasl::Session;
use crate::security::tls::{self, TlsServer};
use crate::security::{Listener, Protocol};
use crate::Broker;

/// A TLS handshake that takes longer than this is abandoned.
const TLS_HANDSHAKE_TIMEOUT_MS: u64 = 10_000;

static NEXT_CONNECTION_ID: AtomicU64 = AtomicU64::new(1);

/// Connection slots (`max.connections`) shared by every listener of the process.
fn slots(max: usize) -> Arc<Semaphore> {
    static SLOTS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    SLOTS.get_or_init(|| Arc::new(Semaphore::new(max))).clone()
}

/// Serves one PLAINTEXT listener advertised as `broker.config.advertised_host:port`.
pub async fn serve(listener: TcpListener, broker: Arc<Broker>, shutdown: tokio::sync::watch::Receiver<bool>) {
    let bind = match listener.local_addr() {
        Ok(a) => a,
        Err(_) => broker.config.listen,
    };
    let info = Arc::new(Listener {
        name: "PLAINTEXT".into(),
        protocol: Protocol::Plaintext,
        bind,
        advertised_host: broker.config.advertised_host.clone(),
        advertised_port: broker.config.advertised_port,
    });
    serve_listener(listener, info, None, broker, shutdown).await
}

/// Serves one listener of any security protocol; `tls` is required for SSL and SASL_SSL.
pub async fn serve_listener(
    listener: TcpListener,
    info: Arc<Listener>,
    tls: Option<Arc<TlsServer>>,
    broker: Arc<Broker>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    assert_eq!(info.protocol.is_tls(), tls.is_some(), "TLS listeners and only they have a TLS server");
    let slots = slots(broker.config.connections_max);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        let (socket, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // EMFILE and friends: back off briefly instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "refusing connection: max.connections reached");
            drop(socket);
            continue;
        };
        let id = NEXT_CONNECTION_ID.fetch_add(1, Ordering::Relaxed);
        let _ = socket.set_nodelay(true);
        let broker = broker.clone();
        let info = info.clone();
        let tls = tls.clone();
        let span = tracing::debug_span!("conn", id, %peer, listener = %info.name);
        tokio::spawn(
            async move {
                match tls {
                    None => connection::run(socket, peer, broker, Session::new(info, None)).await,
                    Some(tls) => {
                        let acceptor = tokio_rustls::TlsAcceptor::from(tls.config());
                        let handshake = tokio::time::timeout(
                            Duration::from_millis(TLS_HANDSHAKE_TIMEOUT_MS),
                            acceptor.accept(socket),
                        )
                        .await;
                        let stream = match handshake {
                            Ok(Ok(s)) => s,
                            Ok(Err(e)) => {
                                // Plaintext on a TLS port, an untrusted or expired client certificate...
                                tracing::info!(%peer, error = %e, "TLS handshake failed; closing connection");
                                return;
                            }
                            Err(_) => {
                                tracing::info!(%peer, "TLS handshake timed out; closing connection");
                                return;
                            }
                        };
                        let cert_principal = stream
                            .get_ref()
                            .1
                            .peer_certificates()
                            .and_then(|c| c.first())
                            .map(|c| tls::subject_rfc2253(c.as_ref()));
                        let principal = match cert_principal {
                            None => None,
                            Some(Some(dn)) => match tls::map_subject(&broker.security.mapping_rules, &dn) {
                                Some(p) => Some(p),
                                None => {
                                    tracing::warn!(%peer, subject = %dn, "no ssl.principal.mapping.rules rule matches the client certificate; closing connection");
                                    return;
                                }
                            },
                            Some(None) => {
                                tracing::warn!(%peer, "client certificate subject is unreadable; closing connection");
                                return;
                            }
                        };
                        connection::run(stream, peer, broker, Session::new(info, principal)).await
                    }
                }
                drop(permit);
            }
            .instrument(span),
        );
    }
}
