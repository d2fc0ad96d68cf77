//! `GET /api/v1/openapi.json`: generated from the handlers, and complete: every API route of the
//! router is in it with its method.

use server::http::pipeline::RouteKind;

use crate::support::spawn_app;

#[tokio::test]
async fn the_openapi_document_lists_every_api_route_with_its_schemas() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/openapi.json").await;
    assert_eq!(res.status(), 200, "public, like the health check");
    let doc: serde_json::Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
    let paths = doc["paths"].as_object().unwrap();
    let mut missing = Vec::new();
    for entry in app.inventory.entries().iter().filter(|e| e.kind == RouteKind::Api) {
        let Some(method) = &entry.method else { continue }; // the catch-all 404
        let documented = paths.get(&entry.path).and_then(|p| p.get(method.as_str().to_lowercase())).is_some();
        if !documented {
            missing.push(format!("{method} {}", entry.path));
        }
    }
    assert!(missing.is_empty(), "API routes missing from the OpenAPI document: {missing:?}");
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in ["MetricValue", "MetricId", "IngestResult", "RoiRow", "CampaignView", "LeaderboardRow", "FunnelResponse", "ErrorBody"] {
        assert!(schemas.contains_key(name), "schema {name} is in the document");
    }
    assert!(doc["components"]["securitySchemes"]["api_key"].is_object());
}
