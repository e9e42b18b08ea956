package imgsec.package.rules.context_required_test

import data.imgsec.package.fixtures_test as f
import data.imgsec.package.rules.context_required

test_complete_context_passes if {
	f.statuses(context_required.results) == {"PASS"} with input as f.valid
	want := "the 6 required context keys are present and well-formed"
	f.messages(context_required.results) == {want} with input as f.valid
}

test_missing_key_fails if {
	inp := f.without_context_key("imgsec:dataset")
	f.statuses(context_required.results) == {"FAIL"} with input as inp
	f.messages(context_required.results) == {"the encryption context lacks imgsec:dataset"} with input as inp
}

test_malformed_dataset_fails_without_quoting_the_value if {
	inp := f.with_context_key("imgsec:dataset", "DOE^JOHN 1970-01-01")
	f.statuses(context_required.results) == {"FAIL"} with input as inp
	want := `imgsec:dataset is not well-formed (expected ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$)`
	f.messages(context_required.results) == {want} with input as inp
}

test_lowercase_modality_fails if {
	inp := f.with_context_key("imgsec:modality", "ct")
	f.statuses(context_required.results) == {"FAIL"} with input as inp
}

test_schema_other_than_1_fails if {
	inp := f.with_context_key("imgsec:schema", "2")
	f.statuses(context_required.results) == {"FAIL"} with input as inp
}

test_uppercase_hash_fails if {
	inp := f.with_context_key("imgsec:pixel-digest", upper(f.package_doc.encryption_context["imgsec:pixel-digest"]))
	f.statuses(context_required.results) == {"FAIL"} with input as inp
}

test_producer_without_version_fails if {
	inp := f.with_context_key("imgsec:producer", "imgsec")
	f.statuses(context_required.results) == {"FAIL"} with input as inp
}

test_non_string_value_fails if {
	inp := f.with_context_key("imgsec:schema", 1)
	f.statuses(context_required.results) == {"FAIL"} with input as inp
	f.messages(context_required.results) == {"imgsec:schema is not a string"} with input as inp
}

test_context_not_a_map_fails if {
	inp := f.with_context(["imgsec:schema", "1"])
	f.messages(context_required.results) == {"the encryption context is missing or not a map"} with input as inp
	f.statuses(context_required.results) == {"FAIL"} with input as inp
}

test_required_key_without_pattern_fails if {
	inp := f.with_param("context_value_patterns", object.remove(f.params.context_value_patterns, ["imgsec:modality"]))
	f.statuses(context_required.results) == {"FAIL"} with input as inp
	want := "no value pattern is configured for imgsec:modality (context_value_patterns)"
	f.messages(context_required.results) == {want} with input as inp
}

test_invalid_pattern_fails if {
	patterns := object.union(f.params.context_value_patterns, {"imgsec:modality": "^([A-Z$"})
	inp := f.with_param("context_value_patterns", patterns)
	f.statuses(context_required.results) == {"FAIL"} with input as inp
}

test_stricter_dataset_pattern_from_params if {
	patterns := object.union(f.params.context_value_patterns, {"imgsec:dataset": "^site-[0-9]+$"})
	inp := f.with_param("context_value_patterns", patterns)
	f.statuses(context_required.results) == {"FAIL"} with input as inp
}

test_pattern_that_is_not_a_string_fails_once if {
	patterns := object.union(f.params.context_value_patterns, {"imgsec:modality": 5})
	inp := f.with_param("context_value_patterns", patterns)
	want := "no value pattern is configured for imgsec:modality (context_value_patterns)"
	f.messages(context_required.results) == {want} with input as inp
}
