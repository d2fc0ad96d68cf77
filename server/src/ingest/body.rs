//! Reading a batch from a request body: a JSON array, `{"events": […]}`, or NDJSON (one event
//! per line). A body that cannot be read is an error naming where it broke.

use serde_json::Value;

use super::MAX_BATCH;
use crate::error::AppError;

/// The request body's events, in order.
pub fn parse(bytes: &[u8], ndjson: bool) -> Result<Vec<Value>, AppError> {
    let items = if ndjson { parse_ndjson(bytes)? } else { parse_json(bytes)? };
    if items.len() > MAX_BATCH {
        return Err(AppError::PayloadTooLarge(format!(
            "a batch holds at most {MAX_BATCH} events, this one has {}; split it",
            items.len()
        )));
    }
    Ok(items)
}

fn parse_json(bytes: &[u8]) -> Result<Vec<Value>, AppError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|err| {
        AppError::BadRequest(format!("the body is not valid JSON: {err} (line {}, column {})", err.line(), err.column()))
    })?;
    match value {
        Value::Array(items) => Ok(items),
        Value::Object(mut object) => match object.remove("events") {
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(AppError::BadRequest("\"events\" must be an array of events".to_owned())),
            None => Err(AppError::BadRequest(
                "expected a JSON array of events or an object {\"events\": [...]}".to_owned(),
            )),
        },
        _ => Err(AppError::BadRequest("expected a JSON array of events or an object {\"events\": [...]}".to_owned())),
    }
}

fn parse_ndjson(bytes: &[u8]) -> Result<Vec<Value>, AppError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|err| AppError::BadRequest(format!("the body is not UTF-8 text (byte {})", err.valid_up_to())))?;
    let mut items = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value = serde_json::from_str(line).map_err(|err| {
            AppError::BadRequest(format!("line {} is not valid JSON: {err}", number + 1))
        })?;
        items.push(value);
        if items.len() > MAX_BATCH {
            break;
        }
    }
    Ok(items)
}

/// The flat shape of the spec's runbook (`event_type`, `campaign_id`, `user_id`, `timestamp` at
/// the top level) turned into the envelope: every key that is not an envelope field becomes a
/// property. An event already in the envelope shape is returned as it is.
pub fn envelope_from_flat(value: Value) -> Value {
    const ENVELOPE: [&str; 8] = ["event_id", "event_type", "timestamp", "user_id", "session_id", "source", "properties", "context"];
    let Value::Object(mut object) = value else { return value };
    if object.contains_key("properties") {
        return Value::Object(object);
    }
    let properties: serde_json::Map<String, Value> = object
        .keys()
        .filter(|k| !ENVELOPE.contains(&k.as_str()))
        .cloned()
        .collect::<Vec<_>>()
        .into_iter()
        .filter_map(|k| object.remove(&k).map(|v| (k, v)))
        .collect();
    object.insert("properties".to_owned(), Value::Object(properties));
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_an_array_an_events_object_and_ndjson() {
        assert_eq!(parse(br#"[{"a":1},{"a":2}]"#, false).unwrap().len(), 2);
        assert_eq!(parse(br#"{"events":[{"a":1}]}"#, false).unwrap().len(), 1);
        assert_eq!(parse(b"{\"a\":1}\n\n{\"a\":2}\n", true).unwrap().len(), 2);
    }

    #[test]
    fn malformed_bodies_name_the_position() {
        let err = parse(b"[{\"a\":1},\n {\"a\": }]", false).unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
        let err = parse(b"{\"a\":1}\nnot json\n", true).unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
        assert!(parse(b"\xff\xfe", false).is_err());
        assert!(parse(b"42", false).is_err());
    }

    #[test]
    fn deep_nesting_is_refused_not_a_crash() {
        let deep = "[".repeat(10_000);
        assert!(matches!(parse(deep.as_bytes(), false), Err(AppError::BadRequest(_))));
    }

    #[test]
    fn more_than_a_thousand_events_is_too_large() {
        let body = format!("[{}]", vec!["{}"; MAX_BATCH + 1].join(","));
        assert!(matches!(parse(body.as_bytes(), false), Err(AppError::PayloadTooLarge(_))));
    }

    #[test]
    fn the_runbook_shape_becomes_an_envelope() {
        let flat = json!({ "event_type": "campaign_delivered", "campaign_id": "c", "user_id": "u", "timestamp": "t" });
        let envelope = envelope_from_flat(flat);
        assert_eq!(envelope["properties"]["campaign_id"], "c");
        assert_eq!(envelope["user_id"], "u");
        assert!(envelope.get("campaign_id").is_none());
    }
}
