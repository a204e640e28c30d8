//! The record store over one DynamoDB table (see the crate docs for the table design).

use std::collections::HashMap;

use app::ports::{Filter, Record, RecordStore, StoreError};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::describe;

/// DynamoDB pages are at most 1 MB; asking for more items per page than this gains nothing.
const MAX_PAGE: usize = 1000;

/// [`RecordStore`] over a DynamoDB table with string keys `pk` / `sk`.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    page_size: usize,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoStore {
        DynamoStore {
            client,
            table: table.into(),
            page_size: MAX_PAGE,
        }
    }

    /// Items asked per `Query` page (default 1000, the most that fits the 1 MB page anyway).
    /// Smaller pages make `query` follow `LastEvaluatedKey` sooner; tests use it.
    pub fn with_page_size(mut self, items: usize) -> DynamoStore {
        self.page_size = items.clamp(1, MAX_PAGE);
        self
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    fn item(record: &Record) -> HashMap<String, AttributeValue> {
        let mut item = HashMap::from([
            ("pk".to_string(), AttributeValue::S(record.pk.clone())),
            ("sk".to_string(), AttributeValue::S(record.sk.clone())),
            (
                "version".to_string(),
                AttributeValue::N(record.version.to_string()),
            ),
            (
                "data".to_string(),
                AttributeValue::S(record.data.to_string()),
            ),
        ]);
        if let Some(at) = record.expires_at {
            item.insert("expires_at".to_string(), AttributeValue::N(at.to_string()));
        }
        item
    }

    async fn put_conditional(
        &self,
        record: &Record,
        operation: &str,
        condition: &str,
        values: Option<(&str, AttributeValue)>,
    ) -> Result<(), StoreError> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::item(record)))
            .condition_expression(condition);
        if let Some((name, value)) = values {
            put = put.expression_attribute_values(name, value);
        }
        match put.send().await {
            Ok(_) => Ok(()),
            Err(err) if is_condition_failure(&err) => Err(conflict(record)),
            Err(err) => Err(unavailable(operation, record, &err)),
        }
    }
}

fn conflict(record: &Record) -> StoreError {
    StoreError::Conflict {
        pk: record.pk.clone(),
        sk: record.sk.clone(),
    }
}

fn is_condition_failure(err: &SdkError<PutItemError, HttpResponse>) -> bool {
    err.as_service_error()
        .is_some_and(|e| e.is_conditional_check_failed_exception())
}

fn unavailable<E>(operation: &str, record: &Record, err: &SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    StoreError::Unavailable(format!(
        "{} on {} / {}",
        describe(operation, err),
        record.pk,
        record.sk
    ))
}

/// Reads an item back into a record; anything unexpected is [`StoreError::Corrupt`].
fn record_from(item: &HashMap<String, AttributeValue>) -> Result<Record, StoreError> {
    let text = |name: &str| match item.get(name) {
        Some(AttributeValue::S(s)) => Some(s.as_str()),
        _ => None,
    };
    let pk = text("pk").unwrap_or_default().to_string();
    let sk = text("sk").unwrap_or_default().to_string();
    let corrupt = |message: String| StoreError::Corrupt {
        pk: pk.clone(),
        sk: sk.clone(),
        message,
    };
    if pk.is_empty() || sk.is_empty() {
        return Err(corrupt("the item has no string pk / sk".into()));
    }
    let version = match item.get("version") {
        Some(AttributeValue::N(n)) => n
            .parse::<u64>()
            .map_err(|_| corrupt(format!("version '{n}' is not a whole number")))?,
        _ => return Err(corrupt("attribute 'version' (N) is missing".into())),
    };
    let data = match text("data") {
        Some(json) => serde_json::from_str(json)
            .map_err(|e| corrupt(format!("attribute 'data' is not JSON: {e}")))?,
        None => return Err(corrupt("attribute 'data' (S) is missing".into())),
    };
    let expires_at = match item.get("expires_at") {
        None | Some(AttributeValue::Null(_)) => None,
        Some(AttributeValue::N(n)) => Some(
            n.parse::<i64>()
                .map_err(|_| corrupt(format!("expires_at '{n}' is not a whole number")))?,
        ),
        Some(_) => return Err(corrupt("attribute 'expires_at' is not a number".into())),
    };
    Ok(Record {
        pk,
        sk,
        version,
        data,
        expires_at,
    })
}

impl RecordStore for DynamoStore {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Record>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk.to_string()))
            .key("sk", AttributeValue::S(sk.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| {
                StoreError::Unavailable(format!(
                    "{} on {pk} / {sk}",
                    describe("DynamoDB GetItem", &err)
                ))
            })?;
        out.item.as_ref().map(record_from).transpose()
    }

    async fn create(&self, record: &Record) -> Result<(), StoreError> {
        if record.version != 1 {
            // The port's contract: a new item starts at version 1. Anything else is a caller
            // holding a stale or foreign record, which is what Conflict means.
            return Err(conflict(record));
        }
        self.put_conditional(
            record,
            "DynamoDB PutItem (create)",
            "attribute_not_exists(pk)",
            None,
        )
        .await
    }

    async fn update(&self, record: &Record) -> Result<(), StoreError> {
        let Some(expected) = record.version.checked_sub(1).filter(|v| *v >= 1) else {
            return Err(conflict(record));
        };
        self.put_conditional(
            record,
            "DynamoDB PutItem (update)",
            "version = :expected",
            Some((":expected", AttributeValue::N(expected.to_string()))),
        )
        .await
    }

    async fn query(
        &self,
        pk: &str,
        from: Option<&str>,
        to: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        if limit == 0 || matches!((from, to), (Some(f), Some(t)) if f > t) {
            // DynamoDB refuses BETWEEN with reversed bounds; the answer is known anyway.
            return Ok(Vec::new());
        }
        let (condition, values) = key_condition(pk, from, to, true);

        let mut records = Vec::new();
        let mut start = None;
        loop {
            let page = (limit - records.len()).min(self.page_size);
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression(condition)
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(true)
                .consistent_read(true)
                .limit(i32::try_from(page).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|err| {
                    StoreError::Unavailable(format!("{} on {pk}", describe("DynamoDB Query", &err)))
                })?;
            for item in out.items() {
                records.push(record_from(item)?);
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() && records.len() < limit => start = Some(key),
                _ => break,
            }
        }
        records.truncate(limit);
        Ok(records)
    }

    /// Reads backwards (`ScanIndexForward = false`) from `below`, page by page, until `limit`
    /// items match: a log page costs the lines read down to its oldest match, not the range.
    /// The filter is applied here, on the decoded data (the item's data is one JSON string,
    /// which a FilterExpression cannot look into).
    async fn query_back(
        &self,
        pk: &str,
        from: Option<&str>,
        below: Option<&str>,
        filter: &Filter,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        if limit == 0 || matches!((from, below), (Some(f), Some(b)) if f >= b) {
            return Ok(Vec::new());
        }
        // No key condition is `>= AND <`: BETWEEN is inclusive, so an item at `below` is
        // dropped below.
        let (condition, values) = key_condition(pk, from, below, false);
        let mut records = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression(condition)
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(false)
                .consistent_read(true)
                .limit(i32::try_from(self.page_size).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|err| {
                    StoreError::Unavailable(format!("{} on {pk}", describe("DynamoDB Query", &err)))
                })?;
            for item in out.items() {
                let record = record_from(item)?;
                if below.is_some_and(|b| record.sk.as_str() >= b) || !filter.matches(&record.data) {
                    continue;
                }
                records.push(record);
                if records.len() == limit {
                    return Ok(records);
                }
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(records),
            }
        }
    }
}

/// The key condition of a read of `pk` from `from` (inclusive) to `to` (inclusive when
/// `to_inclusive`, else exclusive, except with both bounds: BETWEEN has no exclusive form), and
/// its values.
fn key_condition(
    pk: &str,
    from: Option<&str>,
    to: Option<&str>,
    to_inclusive: bool,
) -> (&'static str, HashMap<String, AttributeValue>) {
    let condition = match (from, to) {
        (Some(_), Some(_)) => "pk = :pk AND sk BETWEEN :from AND :to",
        (Some(_), None) => "pk = :pk AND sk >= :from",
        (None, Some(_)) if to_inclusive => "pk = :pk AND sk <= :to",
        (None, Some(_)) => "pk = :pk AND sk < :to",
        (None, None) => "pk = :pk",
    };
    let mut values = HashMap::from([(":pk".to_string(), AttributeValue::S(pk.to_string()))]);
    if let Some(f) = from {
        values.insert(":from".into(), AttributeValue::S(f.to_string()));
    }
    if let Some(t) = to {
        values.insert(":to".into(), AttributeValue::S(t.to_string()));
    }
    (condition, values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_round_trip_through_attributes() {
        let mut rec = Record::new("LOG#acme", "2026-11-23T10:00:00Z#1", json!({"a": [1, 2.5]}));
        rec.expires_at = Some(1_900_000_000);
        assert_eq!(record_from(&DynamoStore::item(&rec)).unwrap(), rec);
        let plain = Record::new("DOC#acme", "sellsy:invoice:1", json!(null));
        let item = DynamoStore::item(&plain);
        assert!(!item.contains_key("expires_at"), "no TTL unless asked");
        assert_eq!(record_from(&item).unwrap(), plain);
    }

    #[test]
    fn unreadable_items_are_corrupt_not_panics() {
        let mut item = DynamoStore::item(&Record::new("p", "s", json!({})));
        item.insert("data".into(), AttributeValue::S("{not json".into()));
        assert!(matches!(
            record_from(&item),
            Err(StoreError::Corrupt { ref pk, ref message, .. }) if pk == "p" && message.contains("JSON")
        ));
        item.remove("version");
        assert!(matches!(
            record_from(&item),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(matches!(
            record_from(&HashMap::new()),
            Err(StoreError::Corrupt { .. })
        ));
    }
}
