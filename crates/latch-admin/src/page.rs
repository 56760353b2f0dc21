//! Pagination: `page` (from 1) and `pageSize` (1 to 100, default 20); the total in a
//! `Total-Number` header; the page itself a plain JSON array.

use crate::error::{ApiError, ApiResult};
use actix_web::HttpResponse;
use latch_domain::repo::Page;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, Debug, Clone, Copy, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1.
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Rows per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u32>,
}

impl PageQuery {
    pub fn page(&self) -> ApiResult<Page> {
        let page = self.page.unwrap_or(1);
        let size = self.page_size.unwrap_or(20);
        if page == 0 {
            return Err(ApiError::invalid("page", "request.invalid_page", "page starts at 1"));
        }
        if !(1..=100).contains(&size) {
            return Err(ApiError::invalid("pageSize", "request.invalid_page_size", "pageSize must be 1 to 100"));
        }
        Ok(Page { page, size })
    }
}

/// A page of `items` with the `Total-Number` header.
pub fn respond<T: Serialize>(items: &[T], total: i64) -> HttpResponse {
    HttpResponse::Ok().insert_header(("Total-Number", total.to_string())).json(items)
}
