//! One client connection. The reader decodes frames and runs each request's
//! ordered part (validation, queueing for a flush) before reading the next,
//! so batches of one connection are queued in request order. The waiting
//! part (flush acknowledgement, long-poll) runs as its own task; the writer
//! sends responses strictly in request order, as Kafka requires. At most
//! `connection_in_flight_requests_max` responses are outstanding.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufWriter};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::dispatch::{self, Reply};
use crate::security::sasl::Session;
use crate::Broker;

/// Serves one connection (plain TCP or TLS) whose peer is described by `session`.
pub async fn run<S>(socket: S, peer: SocketAddr, broker: Arc<Broker>, mut session: Session)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (mut rd, wr) = tokio::io::split(socket);
    let (tx, mut rx) = mpsc::channel::<JoinHandle<Reply>>(broker.config.connection_in_flight_requests_max);

    let writer = tokio::spawn(async move {
        let mut wr = BufWriter::new(wr);
        while let Some(pending) = rx.recv().await {
            let reply = pending.await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "request task failed; closing connection");
                Reply::Close
            });
            match reply {
                Reply::Frame(frame) => {
                    if wr.write_all(&frame).await.is_err() {
                        return;
                    }
                    // Flush when no further response is ready, batching writes under load.
                    if rx.is_empty() && wr.flush().await.is_err() {
                        return;
                    }
                }
                Reply::None => {}
                Reply::Close => {
                    let _ = wr.flush().await;
                    return;
                }
            }
        }
        let _ = wr.flush().await;
    });

    let limit = broker.config.socket_request_max_bytes;
    let idle = Duration::from_millis(broker.config.connections_max_idle_ms);
    loop {
        let mut prefix = [0u8; 4];
        match tokio::time::timeout(idle, rd.read_exact(&mut prefix)).await {
            Ok(Ok(_)) => {}
            Ok(Err(_)) => break,
            Err(_) => {
                tracing::debug!(%peer, "closing idle connection (connections.max.idle.ms)");
                break;
            }
        }
        let length = match oxbow_codec::frame::check_frame_length(prefix, limit) {
            Ok(l) => l,
            Err(e) => {
                tracing::info!(%peer, error = %e, "closing connection");
                break;
            }
        };
        // Reserve the frame's bytes from the broker-wide budget before
        // allocating, so many large or slow requests cannot exhaust memory.
        let permits = length.clamp(1, broker.config.queued_max_request_bytes) as u32;
        let Ok(reserved) = broker.request_bytes.clone().acquire_many_owned(permits).await else { break };
        let mut frame = vec![0u8; length];
        match tokio::time::timeout(idle, rd.read_exact(&mut frame)).await {
            Ok(Ok(_)) => {}
            _ => break,
        }
        let reply = dispatch::dispatch(&broker, Bytes::from(frame), peer, &mut session).await;
        // Produce batches now count against the log engine's queue budget.
        drop(reserved);
        // A failed authentication is answered, then the connection closes (as Kafka does).
        let close = matches!(reply, dispatch::Started::Close) || session.close_after_reply;
        let handle = match reply {
            dispatch::Started::Deferred(fut) => tokio::spawn(fut),
            dispatch::Started::Close => tokio::spawn(async { Reply::Close }),
        };
        if tx.send(handle).await.is_err() || close {
            break;
        }
    }
    drop(tx);
    let _ = writer.await;
}
