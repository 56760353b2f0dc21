//! The audit log: every change, newest first, narrowed by actor, action, target and time. The
//! filters live in the page's address, so a filtered view can be linked to and shared.

use crate::api::{self, ApiError, Listed};
use crate::ui::{self, ErrorNote, FormError, Pager};
use latch_types::AuditLog;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

/// The filters, as the API and the page address spell them.
const FILTERS: [&str; 6] = ["actor", "action", "targetType", "targetId", "since", "until"];

/// Seconds since the epoch at the start (UTC) of `day` (`YYYY-MM-DD`).
fn day_start(day: &str) -> Option<i64> {
    let ms = js_sys::Date::parse(&format!("{day}T00:00:00Z"));
    #[allow(clippy::cast_possible_truncation)]
    (!ms.is_nan()).then(|| (ms / 1000.0) as i64)
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let page = RwSignal::new(1u32);
    let filters = Memo::new(move |_| {
        let q = query.read();
        FILTERS.map(|f| q.get(f).unwrap_or_default())
    });
    Effect::new(move |_| {
        filters.track();
        page.set(1);
    });
    let rows = api::Fetch::new(move || {
        let (f, p) = (filters.get(), page.get());
        async move {
            let mut pairs: Vec<(&str, String)> = Vec::new();
            for (name, value) in FILTERS.iter().zip(f.iter()) {
                let value = value.trim();
                if value.is_empty() {
                    continue;
                }
                match *name {
                    // A day, inclusive at both ends.
                    "since" | "until" => {
                        let Some(start) = day_start(value) else {
                            return Err(ui::local_error(name, "Enter a date."));
                        };
                        let secs = if *name == "until" { start + 86_400 } else { start };
                        pairs.push((name, secs.to_string()));
                    }
                    _ => pairs.push((name, value.to_owned())),
                }
            }
            let q = serde_urlencoded::to_string(&pairs).unwrap_or_default();
            let path = if q.is_empty() { "/audit-logs".to_owned() } else { format!("/audit-logs?{q}") };
            api::list::<AuditLog>(&path, p).await
        }
    });
    let typed = FILTERS.map(|_| RwSignal::new(String::new()));
    Effect::new(move |_| {
        for (signal, value) in typed.iter().zip(filters.get()) {
            signal.set(value);
        }
    });
    let navigate = use_navigate();
    let apply = {
        let navigate = navigate.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let pairs: Vec<(&str, String)> = FILTERS
                .iter()
                .zip(typed.iter())
                .map(|(n, s)| (*n, s.get_untracked().trim().to_owned()))
                .filter(|(_, v)| !v.is_empty())
                .collect();
            let q = serde_urlencoded::to_string(&pairs).unwrap_or_default();
            navigate(&format!("/audit-log?{q}"), NavigateOptions::default());
        }
    };
    let clear = move |_| navigate("/audit-log", NavigateOptions::default());
    let error = RwSignal::new(None::<ApiError>);
    let [actor, action, target_type, target_id, since, until] = typed;
    view! {
        <div class="page-head"><h1>"Audit log"</h1></div>
        <p class="muted">"Every change made through the admin API, the command line, imports and sign-in settings: who, what, to which object, when."</p>
        <section class="card">
            <form class="filters" on:submit=apply role="search" aria-label="Filter the audit log">
                <div>
                    <label for="f-actor">"Actor"</label>
                    <input id="f-actor" type="text" placeholder="user:… or application:…" bind:value=actor/>
                </div>
                <div>
                    <label for="f-action">"Action"</label>
                    <input id="f-action" type="text" placeholder="user.create, or user. for all" bind:value=action/>
                </div>
                <div>
                    <label for="f-target-type">"Target type"</label>
                    <select id="f-target-type" prop:value=move || target_type.get() on:change=move |ev| target_type.set(event_target_value(&ev))>
                        <option value="">"Any"</option>
                        {["application", "user", "role", "resource", "organization", "organization_scope", "organization_role", "sign_in_experience", "keys", "import"]
                            .map(|t| view! { <option value=t>{t}</option> }).collect_view()}
                    </select>
                </div>
                <div>
                    <label for="f-target-id">"Target ID"</label>
                    <input id="f-target-id" type="text" bind:value=target_id/>
                </div>
                <div>
                    <label for="f-since">"From"</label>
                    <input id="f-since" type="date" bind:value=since/>
                </div>
                <div>
                    <label for="f-until">"To"</label>
                    <input id="f-until" type="date" bind:value=until/>
                </div>
                <div class="filter-actions">
                    <button type="submit" class="button primary">"Filter"</button>
                    <button type="button" class="button ghost" on:click=clear>"Clear"</button>
                </div>
            </form>
            <FormError error=error/>
            {move || rows.get().map(|r| match r {
                    Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                    Ok(listed) => view! { <AuditTable listed=listed page=page/> }.into_any(),
                }).unwrap_or_else(crate::ui::loading)}
        </section>
    }
}

#[component]
fn AuditTable(listed: Listed<AuditLog>, page: RwSignal<u32>) -> impl IntoView {
    if listed.items.is_empty() {
        return view! { <p class="empty">"No entries match."</p> }.into_any();
    }
    let total = listed.total;
    view! {
        <table class="list">
            <thead><tr><th scope="col">"When (UTC)"</th><th scope="col">"Actor"</th><th scope="col">"Action"</th><th scope="col">"Target"</th><th scope="col">"Details"</th></tr></thead>
            <tbody>
                {listed.items.into_iter().map(|e| {
                    let details = if e.details.as_object().is_some_and(|o| o.is_empty()) || e.details.is_null() {
                        String::new()
                    } else {
                        e.details.to_string()
                    };
                    view! {
                        <tr>
                            <td>{ui::date_time(e.at)}</td>
                            <td><code>{e.actor.clone()}</code></td>
                            <td><code>{e.action.clone()}</code></td>
                            <td>{e.target_type.clone()}" "<code>{e.target_id.clone()}</code></td>
                            <td><code class="details">{details}</code></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        <Pager page=page total=Signal::derive(move || total)/>
    }
    .into_any()
}
