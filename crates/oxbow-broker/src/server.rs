//! The listener: accepts connections up to `max.connections` and runs each
//! on its own task.

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tracing::Instrument;

use crate::connection;
use crate::Broker;

pub async fn serve(listener: TcpListener, broker: Arc<Broker>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let slots = Arc::new(Semaphore::new(broker.config.connections_max));
    let mut next_connection_id: u64 = 0;
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
        next_connection_id += 1;
        let id = next_connection_id;
        let _ = socket.set_nodelay(true);
        let broker = broker.clone();
        let span = tracing::debug_span!("conn", id, %peer);
        tokio::spawn(
            async move {
                connection::run(socket, peer, broker).await;
                drop(permit);
            }
            .instrument(span),
        );
    }
}
