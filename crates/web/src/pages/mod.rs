//! Server-rendered HTML pages (maud: compile-time templates, escaped by default).

pub mod admin;
pub mod alerts;
pub mod checklist;
pub mod devices;
pub mod diagram;
pub mod import;
pub mod intel;
pub mod login;
pub mod remote_lines;
pub mod report;

use crate::context::{set_cookie, Ctx, LangPref, LANG_COOKIE};
use crate::i18n::Lang;
use crate::policy;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{html, Markup, DOCTYPE};
use std::collections::HashMap;

/// The frame of every signed-in page: navigation, language switch, logout.
pub fn layout(ctx: &Ctx, title: &str, body: Markup) -> Html<String> {
    let l = ctx.lang;
    let u = &ctx.user;
    let nav = [
        ("/act-now", l.t("nav.act_now"), true),
        ("/devices", l.t("nav.devices"), true),
        ("/findings", l.t("nav.findings"), true),
        ("/models", l.t("nav.models"), true),
        ("/notices", l.t("nav.notices"), true),
        ("/alerts", l.t("nav.alerts"), policy::can_view_alerts(u)),
        (
            "/reconcile",
            l.t("nav.reconcile"),
            policy::can_view_alerts(u),
        ),
        (
            "/remote-lines",
            l.t("nav.remote_lines"),
            policy::can_view_remote_lines(u),
        ),
        ("/diagram", l.t("nav.diagram"), policy::can_view_diagram(u)),
        ("/import", l.t("nav.import"), policy::can_import(u)),
        ("/audit", l.t("nav.audit"), policy::can_view_audit(u)),
        (
            "/manufacturers",
            l.t("nav.manufacturers"),
            policy::can_manage_aliases(u),
        ),
        (
            "/checklist",
            l.t("nav.checklist"),
            policy::can_view_checklist(u),
        ),
        ("/report", l.t("nav.report"), policy::can_view_report(u)),
        (
            "/self-assessment",
            l.t("nav.self_assessment"),
            policy::can_self_assess(u),
        ),
        ("/users", l.t("nav.users"), policy::can_manage_users(u)),
        ("/account", l.t("nav.account"), true),
    ];
    Html(
        html! {
            (DOCTYPE)
            html lang=(l.code()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " — mdsec" }
                    link rel="stylesheet" href="/static/app.css";
                    script src="/static/app.js" defer {}
                }
                body {
                    header.topbar {
                        a.brand href="/devices" { "mdsec" }
                        nav {
                            @for (href, label, shown) in nav {
                                @if shown {
                                    a href=(href) class=@if ctx.path.starts_with(href) { "active" } { (label) }
                                }
                            }
                        }
                        div.who {
                            span.user { (u.display_name) " (" (l.t(role_key(u.role))) ")" }
                            a.lang href={ "/lang/" (l.other().code()) "?next=" (crate::context::urlencode(&ctx.uri)) } hreflang=(l.other().code()) { (l.t("nav.switch_lang")) }
                            form.inline method="post" action="/logout" {
                                input type="hidden" name="_csrf" value=(ctx.csrf());
                                button type="submit" { (l.t("nav.logout")) }
                            }
                        }
                    }
                    main.container { (body) }
                }
            }
        }
        .into_string(),
    )
}

/// A page for someone not signed in (login).
pub fn bare_layout(lang: Lang, title: &str, body: Markup) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang=(lang.code()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " — mdsec" }
                    link rel="stylesheet" href="/static/app.css";
                }
                body.bare { main.narrow { (body) } }
            }
        }
        .into_string(),
    )
}

pub fn role_key(role: mdsec_store::Role) -> &'static str {
    use mdsec_store::Role::*;
    match role {
        Admin => "role.admin",
        Isso => "role.isso",
        DeviceSafety => "role.device_safety",
        DepartmentUser => "role.department_user",
        Executive => "role.executive",
        Auditor => "role.auditor",
        Manufacturer => "role.manufacturer",
    }
}

pub async fn home(_ctx: Ctx) -> Redirect {
    Redirect::to("/devices")
}

/// Switch language and go back where the user was (same site only).
pub async fn set_lang(
    State(state): State<AppState>,
    LangPref(_): LangPref,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = Lang::from_code(&code).unwrap_or_default();
    // Back where the switch was pressed; a target that is not a path on this server goes home.
    let back = match q.get("next") {
        Some(p) if crate::context::is_local_path(p) => p.clone(),
        Some(_) => "/".into(),
        None => "/devices".into(),
    };
    let mut res = Redirect::to(&back).into_response();
    if let Ok(v) = set_cookie(
        LANG_COOKIE,
        lang.code(),
        365 * 86400,
        state.config.secure_cookies,
    )
    .parse()
    {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}
