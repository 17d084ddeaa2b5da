//! One file per resource, handlers named by verb.

/// `From` both ways between a wire enum and the domain's enum of the same variants.
macro_rules! same_words {
    ($api:ty, $dom:ty { $($v:ident),* $(,)? }) => {
        impl From<$api> for $dom {
            fn from(v: $api) -> Self { match v { $(<$api>::$v => <$dom>::$v),* } }
        }
        impl From<$dom> for $api {
            fn from(v: $dom) -> Self { match v { $(<$dom>::$v => <$api>::$v),* } }
        }
    };
}

pub mod action_items;
pub mod agenda;
pub mod api_tokens;
pub mod attention;
pub mod auth;
pub mod calendar;
pub mod changes;
pub mod chat;
pub mod checkins;
pub mod enps;
pub mod escalations;
pub mod exports;
pub mod feedback;
pub mod goals;
pub mod health;
pub mod library;
pub mod me;
pub mod meetings;
pub mod notifications;
pub mod people;
pub mod program;
pub mod webhooks;

use utoipa_actix_web::scope::Scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Tags of the contract, in the order Swagger UI shows them.
pub const TAG_AUTH: &str = "auth";
pub const TAG_PEOPLE: &str = "people";
pub const TAG_TOKENS: &str = "api-tokens";
pub const TAG_HEALTH: &str = "health";

/// Everything under `/api/v1`.
pub fn api_v1() -> Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    utoipa_actix_web::scope("/api/v1").configure(configure)
}

fn configure(cfg: &mut ServiceConfig) {
    cfg.service(auth::login)
        .service(me::read)
        .service(me::change_password)
        .service(me::sign_out_everywhere)
        .service(people::import)
        .service(people::list)
        .service(people::create)
        .service(people::read)
        .service(people::update)
        .service(people::deactivate)
        .service(people::reactivate)
        .service(people::erase)
        .service(people::direct_reports)
        .service(people::set_password)
        .service(api_tokens::list)
        .service(api_tokens::create)
        .service(api_tokens::read)
        .service(api_tokens::revoke)
        .service(meetings::recommendation)
        .service(meetings::create_series)
        .service(meetings::list_series)
        .service(meetings::read_series)
        .service(meetings::update_series)
        .service(meetings::reschedule_series)
        .service(meetings::list_meetings)
        .service(meetings::create_meeting)
        .service(meetings::read_meeting)
        .service(meetings::reschedule)
        .service(meetings::complete)
        .service(meetings::skip)
        .service(meetings::cancel)
        .service(meetings::rate)
        .service(meetings::ratings)
        .service(agenda::list)
        .service(agenda::create)
        .service(agenda::read)
        .service(agenda::update)
        .service(agenda::remove)
        .service(agenda::reorder)
        .service(agenda::notes)
        .service(agenda::write_shared)
        .service(agenda::write_private)
        .service(action_items::create)
        .service(action_items::for_meeting)
        .service(action_items::list)
        .service(action_items::read)
        .service(action_items::update)
        .service(library::list_starters)
        .service(library::create_starter)
        .service(library::read_starter)
        .service(library::update_starter)
        .service(library::suggested)
        .service(library::list_templates)
        .service(library::create_template)
        .service(library::read_template)
        .service(library::delete_template)
        .service(library::update_template)
        .service(library::apply_template)
        .service(goals::create)
        .service(goals::list)
        .service(goals::read)
        .service(goals::update)
        .service(goals::record_progress)
        .service(checkins::launch)
        .service(checkins::list_cycles)
        .service(checkins::read_cycle)
        .service(checkins::list)
        .service(checkins::read)
        .service(checkins::update)
        .service(checkins::submit)
        .service(checkins::review)
        .service(checkins::acknowledge)
        .service(enps::create)
        .service(enps::list)
        .service(enps::read)
        .service(enps::answer)
        .service(enps::close)
        .service(enps::results)
        .service(enps::comments)
        .service(changes::list)
        .service(webhooks::create)
        .service(webhooks::list)
        .service(webhooks::event_type_catalogue)
        .service(webhooks::read)
        .service(webhooks::update)
        .service(webhooks::remove)
        .service(webhooks::rotate)
        .service(webhooks::ping)
        .service(webhooks::deliveries)
        .service(webhooks::delivery)
        .service(webhooks::redeliver)
        .service(webhooks::queue)
        .service(notifications::read)
        .service(notifications::update)
        .service(notifications::unsubscribe_page)
        .service(notifications::unsubscribe)
        .service(calendar::read)
        .service(calendar::create)
        .service(calendar::revoke)
        .service(calendar::feed_ics)
        .service(calendar::meeting)
        .service(chat::create)
        .service(chat::list)
        .service(chat::read)
        .service(chat::update)
        .service(chat::remove)
        .service(chat::test)
        .service(feedback::give)
        .service(feedback::list)
        .service(feedback::recognitions)
        .service(feedback::read)
        .service(feedback::bring)
        .service(feedback::agree)
        .service(feedback::request)
        .service(feedback::requests)
        .service(feedback::read_request)
        .service(feedback::answer)
        .service(feedback::decline)
        .service(feedback::survey_to_team)
        .service(feedback::counts)
        .service(escalations::record)
        .service(escalations::list)
        .service(escalations::read)
        .service(escalations::remove)
        .service(escalations::report)
        .service(attention::list)
        .service(exports::meetings)
        .service(exports::action_items)
        .service(exports::program)
        .service(program::report);
}

/// A window of days given as `from` and `to` (both inclusive, either may be absent): `to`
/// before `from` is 400 `invalid_query`.
pub(crate) fn days_in_order(
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> crate::problem::ApiResult<()> {
    match (from, to) {
        (Some(f), Some(t)) if f > t => Err(crate::problem::ApiError::BadRequest {
            code: "invalid_query",
            detail: "from is after to".into(),
        }),
        _ => Ok(()),
    }
}

/// The people a report's `department` or `manager_id` names: a department, everyone below a
/// manager at any depth, or everyone; both at once, or an unknown manager, are 400
/// `invalid_query`.
pub(crate) async fn slice_of(
    state: &crate::state::AppState,
    department: Option<String>,
    manager_id: Option<uuid::Uuid>,
) -> crate::problem::ApiResult<oneonone_domain::checkin::Population> {
    use crate::problem::ApiError;
    use oneonone_domain::checkin::Population;
    Ok(match (department, manager_id) {
        (Some(_), Some(_)) => {
            return Err(ApiError::BadRequest {
                code: "invalid_query",
                detail: "a department or a manager's subtree, not both".into(),
            });
        }
        (Some(d), None) => Population::Department(d),
        (None, Some(m)) => {
            match state.db.get_person(m).await {
                Ok(_) => {}
                Err(oneonone_persistence::StoreError::NotFound) => {
                    return Err(ApiError::BadRequest {
                        code: "invalid_query",
                        detail: "manager_id: no such person".into(),
                    });
                }
                Err(e) => return Err(e.into()),
            }
            Population::Subtree(m)
        }
        (None, None) => Population::Everyone,
    })
}
