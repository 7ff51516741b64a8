//! The protocol side of `lore mcp`: initialisation, the tool list, and each call run on a
//! blocking thread while this one stays free to answer the next request, send progress and
//! hear a cancellation.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListToolsResult, PaginatedRequestParams, ProgressNotificationParam,
    ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::{Value, json};

use lore::index::Index;
use lore::lock::{LockEvent, LockOptions};
use lore::ops::record::Progress;
use lore::store::Store;
use lore::{Error, Result};

use super::tools;

/// Progress notifications while a save waits: the first at once, then one this often.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

pub struct Server {
    store: Store,
    /// The lock options of a save; each call gets its own cancel flag.
    opts: LockOptions,
    /// Set by SIGINT/SIGTERM: a save waiting for the lock gives up.
    interrupted: Arc<AtomicBool>,
    /// The index reads use, opened on the first and kept.
    reader: Arc<Mutex<Option<Index>>>,
}

impl Server {
    pub fn new(store: Store, opts: LockOptions, interrupted: Arc<AtomicBool>) -> Server {
        Server {
            store,
            opts,
            interrupted,
            reader: Arc::default(),
        }
    }

    /// Answers on stdio until the client closes it.
    pub async fn serve(self) -> Result<()> {
        let running = ServiceExt::serve(self, rmcp::transport::stdio())
            .await
            .map_err(|e| connection(format!("the client did not initialise: {e}")))?;
        running
            .waiting()
            .await
            .map_err(|e| connection(format!("the session ended abnormally: {e}")))?;
        Ok(())
    }

    async fn record(&self, args: JsonObject, cx: &RequestContext<RoleServer>) -> Outcome {
        // Checked before the store is touched: bad input writes nothing.
        let learning = tools::draft(&args)?.validate().map_err(|e| e.to_string())?;
        let cancel = Arc::new(AtomicBool::new(false));
        let opts = LockOptions {
            cancel: Some(cancel.clone()),
            ..self.opts.clone()
        };
        let store = self.store.clone();
        let (events, mut heard) = tokio::sync::mpsc::unbounded_channel();
        let mut job = tokio::task::spawn_blocking(move || {
            let mut index = lore::write::open_index(&store, "record")?;
            lore::ops::record::record(&store, &mut index, &learning, &opts, &mut |p| {
                let _ = events.send(p);
            })
        });
        let token = cx.meta.get_progress_token();
        let mut last_sent: Option<Instant> = None;
        let mut steps = 0u32;
        let mut poll = tokio::time::interval(Duration::from_millis(50));
        let recorded = loop {
            tokio::select! {
                done = &mut job => break done.map_err(|e| format!("the save stopped: {e}"))?,
                Some(event) = heard.recv() => {
                    let Some(token) = &token else { continue };
                    let Some((message, urgent)) = describe(&event) else { continue };
                    if !urgent && last_sent.is_some_and(|at| at.elapsed() < PROGRESS_EVERY) {
                        continue;
                    }
                    last_sent = Some(Instant::now());
                    steps += 1;
                    let note = ProgressNotificationParam::new(token.clone(), steps.into())
                        .with_message(message);
                    let _ = cx.peer.notify_progress(note).await;
                }
                _ = cx.ct.cancelled(), if !cancel.load(Ordering::Relaxed) => {
                    cancel.store(true, Ordering::Relaxed);
                }
                _ = poll.tick() => {
                    if self.interrupted.load(Ordering::Relaxed) {
                        cancel.store(true, Ordering::Relaxed);
                    }
                }
            }
        };
        let recorded = recorded.map_err(|e| e.to_string())?;
        for w in &recorded.warnings {
            eprintln!("lore: warning: {}", lore::sanitize::display_line(w));
        }
        Ok(serde_json::to_value(recorded.json()).expect("serialisable"))
    }

    /// A read on a blocking thread, with the index brought in line with HEAD first (another
    /// writer may have committed since the last call).
    async fn read<F>(&self, work: F) -> Outcome
    where
        F: FnOnce(&Store, &mut Index) -> Result<Value> + Send + 'static,
    {
        let store = self.store.clone();
        let reader = self.reader.clone();
        tokio::task::spawn_blocking(move || {
            let mut slot = reader.lock().unwrap_or_else(|p| p.into_inner());
            if slot.is_none() {
                *slot = Some(Index::open(&store)?);
            }
            let index = slot.as_mut().expect("opened above");
            if let Err(e) = index.follow_head_with(&store, &mut |_| {}) {
                log::warn!("could not bring the index up to date with HEAD: {e}");
            }
            work(&store, index)
        })
        .await
        .map_err(|e| format!("the read stopped: {e}"))?
        .map_err(|e| e.to_string())
    }

    async fn call(&self, name: &str, args: JsonObject, cx: &RequestContext<RoleServer>) -> Outcome {
        match name {
            "record" => self.record(args, cx).await,
            "search" => {
                let asked = tools::read(&args, true)?;
                self.read(move |_, index| {
                    let query = asked.query.unwrap_or_default();
                    let rows = index.search(&query, &asked.filter, asked.limit)?;
                    Ok(json!({ "learnings": learnings(&rows) }))
                })
                .await
            }
            "list" => {
                let asked = tools::read(&args, false)?;
                self.read(move |_, index| {
                    let rows = index.list(&asked.filter, asked.limit, 0)?;
                    let total = index.count(&asked.filter)?;
                    Ok(json!({ "learnings": learnings(&rows), "total": total }))
                })
                .await
            }
            "show" => {
                let target = tools::target(&args)?;
                self.read(move |store, index| {
                    let found = lore::ops::show::find(store, index, &target)?;
                    let body = lore::index::read_body(store.root(), &found.row.filepath);
                    let shown = lore::json::WithBody::of(&found.row, body.as_deref());
                    let mut shown = serde_json::to_value(shown).expect("serialisable");
                    if let Some(moved) = &found.moved {
                        shown["note"] = json!(moved.describe(&found.row.filepath));
                    }
                    Ok(shown)
                })
                .await
            }
            "lock_status" => {
                tools::nothing(&args)?;
                self.read(|store, _| {
                    let status = lore::lock::status(&store.lock_paths());
                    Ok(serde_json::to_value(&status).expect("serialisable"))
                })
                .await
            }
            _ => unreachable!("checked against tools::NAMES"),
        }
    }
}

fn connection(why: String) -> Error {
    Error::io("the MCP client's connection", std::io::Error::other(why))
}

/// A tool's answer, or the one line that says why it could not give one.
type Outcome = std::result::Result<Value, String>;

/// What a save's progress says to the agent, and whether it goes out at once (a new step) or
/// may wait for the next interval (another tick of the same wait).
fn describe(event: &Progress) -> Option<(String, bool)> {
    match event {
        Progress::Lock(LockEvent::Contended {
            holder,
            waited,
            timeout,
        }) => {
            let who = holder
                .as_ref()
                .map(|h| format!("held by {}", h.describe()))
                .unwrap_or_else(|| "held by another process".into());
            Some((
                format!(
                    "waiting for the store lock, {who}: waited {} of {}",
                    lore::error::fmt_duration(*waited),
                    lore::error::fmt_duration(*timeout)
                ),
                false,
            ))
        }
        Progress::Lock(LockEvent::Acquired { .. }) => Some(("took the store lock".into(), true)),
        Progress::Hook(name) => Some((format!("running git's {name} hook"), true)),
        _ => None,
    }
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("lore", env!("CARGO_PKG_VERSION")))
            .with_instructions(format!(
                "lore keeps a team's failures and the lessons learned from them. Before a risky \
                 step, `search` for what went wrong before; after a failure worth remembering, \
                 `record` it with what was learned. Learnings come back as lore's JSON contract \
                 v{}: tags a list of strings, times RFC 3339.",
                lore::json::CONTRACT
            ))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _cx: RequestContext<RoleServer>,
    ) -> std::result::Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools::list()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResponse, ErrorData> {
        if !tools::NAMES.contains(&&*request.name) {
            return Err(ErrorData::invalid_params(
                format!(
                    "no tool named `{}`; the tools are {}",
                    lore::sanitize::display_line(&request.name),
                    tools::NAMES.join(", ")
                ),
                None,
            ));
        }
        let args = request.arguments.unwrap_or_default();
        let result = match self.call(&request.name, args, &cx).await {
            Ok(value) => CallToolResult::structured(value),
            Err(message) => CallToolResult::error(vec![ContentBlock::text(message)]),
        };
        Ok(result.into())
    }
}

/// Rows as the JSON contract's learnings, the objects `lore list --json` prints.
fn learnings(rows: &[lore::index::Row]) -> Vec<lore::json::Learning<'_>> {
    rows.iter().map(lore::json::Learning::of).collect()
}
