//! The EndpointSlice controller, reduced to counts (`pkg/controller/endpointslice/`): for each
//! Service with a selector, the pods in its namespace that match, have an address (are bound)
//! and are not terminal; `ready` = Ready and not terminating, `serving` = Ready.

use crate::api::service::EndpointCounts;
use crate::store::{ServiceId, Store};

/// The endpoint counts a sync of Service `id` publishes, or `None` if it has no selector.
pub fn reconcile(store: &Store, id: ServiceId) -> Option<EndpointCounts> {
    let service = store.service(id)?;
    service.selector_labels.as_ref()?;
    let mut counts = EndpointCounts::default();
    // Terminal pods never count: only the active ones are visited, and of those the ones with
    // the label one of the selector's equality requirements asks for.
    for pod_id in store.active_pods_for(&service.meta.namespace, &service.selector) {
        let pod = store.pod(pod_id);
        if pod.status.node.is_none()
            || pod.meta.namespace != service.meta.namespace
            || !service.selector.matches(&pod.meta.labels)
        {
            continue;
        }
        let terminating = pod.meta.deletion_timestamp.is_some();
        let serving = pod.is_ready() || service.publish_not_ready_addresses;
        match (serving, terminating) {
            (true, false) => counts.ready += 1,
            (true, true) => counts.serving_terminating += 1,
            (false, _) => counts.not_ready += 1,
        }
    }
    Some(counts)
}
