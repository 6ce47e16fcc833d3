//! The network configuration diagram (ネットワーク構成図) in the browser: drawn by `mdsec-diagram` from
//! the ledger, the remote lines registry and the devices' priorities; server-side filters
//! (department, segment) redraw it, client-side ones (search, priority band) only hide nodes, and
//! zoom changes the view box. Exports: SVG, GraphML, draw.io.

use super::layout;
use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use maud::{html, PreEscaped};
use mdsec_diagram::{DeviceInput, DiagramInput, Filter, Format, PriorityBand, RemoteLineInput};
use mdsec_store::{ApprovalPolicy, DeviceQuery, Store, StoreResult};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};

/// Everything the diagram is drawn from, read from the store: every live device with its priority
/// band (only devices with open findings are coloured), the registry's lines (not retired), and
/// lines the ledger names for devices no registered line serves.
pub async fn diagram_input(store: &dyn Store, title: &str) -> StoreResult<DiagramInput> {
    let mut devices = Vec::new();
    let mut offset = 0;
    loop {
        let page = store
            .list_devices(&DeviceQuery {
                limit: DeviceQuery::MAX_LIMIT,
                offset,
                ..Default::default()
            })
            .await?;
        let n = page.items.len() as i64;
        devices.extend(page.items);
        offset += n;
        if n == 0 || offset >= page.total {
            break;
        }
    }
    let prios: HashMap<i64, f64> = store
        .device_priorities(true, 100_000, 0)
        .await?
        .items
        .into_iter()
        .map(|p| (p.device_id, p.score))
        .collect();
    let devices: Vec<DeviceInput> = devices
        .iter()
        .map(|d| {
            let mut i = DeviceInput::from_ledger(d.id, &d.fields);
            i.priority = prios.get(&d.id).map(|s| PriorityBand::from_score(*s));
            i
        })
        .collect();
    let mut remote_lines: Vec<RemoteLineInput> = store
        .list_remote_lines()
        .await?
        .into_iter()
        .filter(|l| !l.retired)
        .map(|l| RemoteLineInput {
            key: format!("registry:{:06}", l.id),
            vendor: l.vendor,
            method: Some(l.method.label_ja().to_string()),
            endpoints: l.endpoints,
            device_ids: l.device_ids,
            always_on: l.approval_policy == ApprovalPolicy::AlwaysOn,
            registered: true,
        })
        .collect();
    let served: BTreeSet<i64> = remote_lines
        .iter()
        .flat_map(|l| l.device_ids.iter().copied())
        .collect();
    let unserved: Vec<DeviceInput> = devices
        .iter()
        .filter(|d| !served.contains(&d.id))
        .cloned()
        .collect();
    remote_lines.extend(mdsec_diagram::remote_lines_from_ledger(&unserved));
    Ok(DiagramInput {
        title: title.to_string(),
        devices,
        remote_lines,
        flows: Vec::new(),
    })
}

#[derive(Deserialize, Default)]
pub struct DiagramParams {
    pub department: Option<String>,
    pub segment: Option<String>,
    pub format: Option<String>,
}

fn filter_of(p: &DiagramParams) -> Filter {
    Filter {
        department: p.department.clone().filter(|s| !s.is_empty()),
        segment: p.segment.clone().filter(|s| !s.is_empty()),
    }
}

/// The filter `user` may draw with: a department user's diagram is always its own department's
/// (least privilege: IP addresses and places of other departments' devices are not theirs to see).
fn filter_for(ctx: &Ctx, p: &DiagramParams) -> Filter {
    let mut f = filter_of(p);
    if let Some(own) = crate::policy::diagram_department(&ctx.user) {
        f.department = Some(own);
    }
    f
}

async fn graph(state: &AppState, filter: &Filter) -> WebResult<mdsec_diagram::Graph> {
    let title = state
        .app
        .store
        .checklist_profile()
        .await?
        .hospital_name
        .unwrap_or_default();
    let input = diagram_input(state.app.store.as_ref(), &title).await?;
    mdsec_diagram::build(&input, filter).map_err(|e| WebError::bad_request(e.to_string()))
}

/// `/diagram`.
pub async fn page(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(p): Query<DiagramParams>,
) -> WebResult<Html<String>> {
    let l = ctx.lang;
    if !crate::policy::can_view_diagram(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let filter = filter_for(&ctx, &p);
    let g = graph(&state, &filter).await?;
    if !crate::policy::can_view_diagram_detail(&ctx.user) {
        // Executives: the counts, not the devices, their addresses or the layout.
        let lines = g
            .external
            .iter()
            .filter(|n| matches!(n.kind, mdsec_diagram::ExternalKind::RemoteLine(_)))
            .count();
        let body = html! {
            h1 { (l.t("diagram.title")) }
            p.hint #diagram-counts-only { (l.t("diagram.counts_only")) }
            table #diagram-counts { tbody {
                tr { th { (l.t("devices.count")) } td #diagram-devices { (g.device_count()) } }
                tr { th { (l.t("diagram.segment")) } td { (g.segments().count()) } }
                tr { th { (l.t("nav.remote_lines")) } td { (lines) } }
            } }
        };
        return Ok(layout(&ctx, l.t("diagram.title"), body));
    }
    let svg = mdsec_diagram::render(&g, Format::Svg);
    // The SVG's own XML declaration does not belong inside HTML.
    let svg = match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => &svg[..],
    };
    let departments: Vec<String> = match crate::policy::diagram_department(&ctx.user) {
        Some(own) => vec![own],
        None => state.app.departments().await?.to_vec(),
    };
    let segments: Vec<String> = g.segments().map(|s| s.name.clone()).collect();
    let query = |format: &str| {
        let mut q = format!("/diagram/export?format={format}");
        for (k, v) in [
            ("department", &filter.department),
            ("segment", &filter.segment),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                q.push_str(&format!("&{k}={}", urlencode(v)));
            }
        }
        q
    };
    let body = html! {
        h1 { (l.t("diagram.title")) }
        p.hint { (l.t("diagram.hint")) }
        form.filters #diagram-filter method="get" action="/diagram" {
            label { (l.t("field.department"))
                select name="department" {
                    option value="" { "—" }
                    @for d in departments.iter() { option value=(d) selected[filter.department.as_deref() == Some(d.as_str())] { (d) } }
                }
            }
            label { (l.t("diagram.segment"))
                select name="segment" {
                    option value="" { "—" }
                    @for s in &segments { option value=(s) selected[filter.segment.as_deref() == Some(s.as_str())] { (s) } }
                }
            }
            button type="submit" { (l.t("filter.apply")) }
        }
        div.diagram-tools #diagram-tools {
            label { (l.t("diagram.search")) input type="search" #diagram-search autocomplete="off"; }
            label { (l.t("diagram.priority"))
                select #diagram-priority {
                    option value="" { "—" }
                    @for b in PriorityBand::ALL { option value=(b.code()) { (b.label()) } }
                }
            }
            button type="button" #diagram-zoom-in { "+" }
            button type="button" #diagram-zoom-out { "−" }
            button type="button" #diagram-zoom-reset { (l.t("diagram.reset")) }
            span #diagram-count {}
        }
        p.actions {
            a.button.secondary href=(query("svg")) { "SVG" } " "
            a.button.secondary href=(query("graphml")) { "GraphML" } " "
            a.button.secondary href=(query("drawio")) { "draw.io" }
        }
        p.count { (l.t("devices.count")) ": " span #diagram-devices { (g.device_count()) } }
        div.diagram #diagram { (PreEscaped(svg)) }
    };
    Ok(layout(&ctx, l.t("diagram.title"), body))
}

/// `/diagram/export?format=svg|graphml|drawio`.
pub async fn export(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(p): Query<DiagramParams>,
) -> WebResult<Response> {
    if !crate::policy::can_view_diagram_detail(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let ext = p.format.clone().unwrap_or_else(|| "svg".into());
    let format = Format::from_extension(&ext)
        .ok_or_else(|| WebError::bad_request("format must be svg, graphml or drawio"))?;
    let g = graph(&state, &filter_for(&ctx, &p)).await?;
    let ctype = match format {
        Format::Svg => "image/svg+xml",
        _ => "application/xml",
    };
    Ok((
        [
            (header::CONTENT_TYPE, ctype.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"mdsec-network.{ext}\""),
            ),
        ],
        mdsec_diagram::render(&g, format),
    )
        .into_response())
}

fn urlencode(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}
