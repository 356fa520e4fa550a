//! The table is defined once (`store::table::TABLE`): the CLI's create-table builds from it, and
//! template.yaml must describe the same keys, index and TTL.

use serde_yaml::Value;
use userfields::store::table::TABLE;

fn strings(list: &Value, key: &str) -> Vec<String> {
    list.as_sequence().unwrap().iter().map(|v| v[key].as_str().unwrap().to_string()).collect()
}

#[test]
fn template_yaml_matches_the_table_definition() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/template.yaml")).unwrap();
    let template: Value = serde_yaml::from_str(&text).unwrap();
    let resources = template["Resources"].as_mapping().unwrap();
    let table = resources
        .values()
        .find(|r| r["Type"] == "AWS::DynamoDB::Table")
        .expect("template.yaml defines the table");
    let props = &table["Properties"];

    let mut attributes = strings(&props["AttributeDefinitions"], "AttributeName");
    attributes.sort();
    let mut expected: Vec<String> = TABLE.key_attributes().iter().map(|a| a.to_string()).collect();
    expected.sort();
    assert_eq!(attributes, expected);
    assert!(props["AttributeDefinitions"].as_sequence().unwrap().iter().all(|a| a["AttributeType"] == "S"));
    assert_eq!(strings(&props["KeySchema"], "AttributeName"), [TABLE.hash_key, TABLE.range_key]);
    assert_eq!(strings(&props["KeySchema"], "KeyType"), ["HASH", "RANGE"]);

    let indexes = props["GlobalSecondaryIndexes"].as_sequence().unwrap();
    assert_eq!(indexes.len(), 1);
    let index = &indexes[0];
    assert_eq!(index["IndexName"], TABLE.user_index.name);
    assert_eq!(strings(&index["KeySchema"], "AttributeName"), [TABLE.user_index.hash_key, TABLE.user_index.range_key]);
    let projection = if TABLE.user_index.projects_all { "ALL" } else { "KEYS_ONLY" };
    assert_eq!(index["Projection"]["ProjectionType"], projection);
    assert_eq!(props["TimeToLiveSpecification"]["AttributeName"], TABLE.ttl_attribute);
    assert_eq!(props["TimeToLiveSpecification"]["Enabled"], true);
    assert_eq!(props["StreamSpecification"]["StreamViewType"], TABLE.stream_view);
}
