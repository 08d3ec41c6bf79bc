use super::*;

/// Records what is put; refuses while `down` is set.
#[derive(Default)]
struct Recorder {
    puts: Mutex<Vec<Vec<String>>>,
    down: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl NodeInventory for Recorder {
    async fn put(&self, nodes: &[Node]) -> Result<usize, String> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err("connection refused".into());
        }
        let names = nodes.iter().map(ResourceExt::name_any).collect();
        self.puts.lock().push(names);
        Ok(nodes.len())
    }
}

/// What `on_event` does, in the foreground.
async fn feed(sync: &InventorySync, event: &watcher::Event<Node>) {
    if let Some(nodes) = sync.wanted(event) {
        let _ = sync.ensure(&nodes).await;
    }
}

/// A sync of a replica that leads.
fn active(recorder: &Arc<Recorder>) -> Arc<InventorySync> {
    let sync = Arc::new(InventorySync::new(Inventory(recorder.clone())));
    sync.active.store(true, Ordering::Release);
    sync
}

fn node(name: &str, ip: &str) -> Node {
    let mut n = Node::default();
    n.metadata.name = Some(name.into());
    n.status = Some(NodeStatus {
        addresses: Some(vec![NodeAddress {
            type_: "InternalIP".into(),
            address: ip.into(),
        }]),
        ..NodeStatus::default()
    });
    n
}

#[tokio::test]
async fn nodes_are_sent_once_after_the_first_list_and_again_only_when_their_address_changes() {
    let recorder = Arc::new(Recorder::default());
    let sync = active(&recorder);
    feed(&sync, &watcher::Event::Init).await;
    feed(&sync, &watcher::Event::InitApply(node("a", "10.0.0.1"))).await;
    feed(&sync, &watcher::Event::InitApply(node("b", "10.0.0.2"))).await;
    assert!(
        recorder.puts.lock().is_empty(),
        "not before the list is complete"
    );
    feed(&sync, &watcher::Event::InitDone).await;
    feed(&sync, &watcher::Event::Apply(node("a", "10.0.0.1"))).await;
    feed(&sync, &watcher::Event::Apply(node("b", "10.0.0.9"))).await;
    feed(&sync, &watcher::Event::Apply(node("c", "10.0.0.3"))).await;
    sync.ensure(&[node("a", "10.0.0.1"), node("c", "10.0.0.3")])
        .await
        .unwrap();
    assert_eq!(
        *recorder.puts.lock(),
        [vec!["a", "b"], vec!["b"], vec!["c"]],
        "a heartbeat of a sends nothing, nor does a reconcile when all is sent"
    );
}

#[tokio::test]
async fn a_failed_registration_is_retried_by_the_next_reconcile() {
    let recorder = Arc::new(Recorder::default());
    recorder
        .down
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let sync = active(&recorder);
    feed(&sync, &watcher::Event::Init).await;
    feed(&sync, &watcher::Event::InitApply(node("a", "10.0.0.1"))).await;
    feed(&sync, &watcher::Event::InitDone).await;
    let nodes = [node("a", "10.0.0.1")];
    let err = sync.ensure(&nodes).await.unwrap_err();
    assert!(err.to_string().contains("connection refused"), "{err}");
    recorder
        .down
        .store(false, std::sync::atomic::Ordering::SeqCst);
    sync.ensure(&nodes).await.unwrap();
    assert_eq!(*recorder.puts.lock(), [vec!["a"]]);
}

#[tokio::test]
async fn a_standby_sends_nothing_until_it_leads_and_then_sends_the_cached_nodes() {
    let recorder = Arc::new(Recorder::default());
    let sync = Arc::new(InventorySync::new(Inventory(recorder.clone())));
    feed(&sync, &watcher::Event::Init).await;
    feed(&sync, &watcher::Event::InitApply(node("a", "10.0.0.1"))).await;
    feed(&sync, &watcher::Event::InitDone).await;
    feed(&sync, &watcher::Event::Apply(node("b", "10.0.0.2"))).await;
    assert!(
        recorder.puts.lock().is_empty(),
        "a standby never calls the cloud"
    );

    sync.activate(vec![node("a", "10.0.0.1"), node("b", "10.0.0.2")]);
    for _ in 0..100 {
        if !recorder.puts.lock().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    feed(&sync, &watcher::Event::Apply(node("c", "10.0.0.3"))).await;
    assert_eq!(
        *recorder.puts.lock(),
        [vec!["a", "b"], vec!["c"]],
        "on leading: the cache at once, then each change"
    );
}
