package imgsec.package.rules.body_complete_test

import data.imgsec.package.fixtures_test as f
import data.imgsec.package.rules.body_complete

test_complete_body_passes if {
	f.statuses(body_complete.results) == {"PASS"} with input as f.valid
	f.messages(body_complete.results) == {"the body is complete: 12 frame(s), no trailing bytes"} with input as f.valid
}

test_truncated_body_fails if {
	inp := f.with_patch("body", {"complete": false, "problem": "truncated"})
	f.statuses(body_complete.results) == {"FAIL"} with input as inp
	want := {"the body is not complete", "the body has a problem: truncated"}
	f.messages(body_complete.results) == want with input as inp
}

test_trailing_bytes_fail if {
	inp := f.with_patch("body", {"trailing_bytes": 17, "problem": "trailing-bytes"})
	f.statuses(body_complete.results) == {"FAIL"} with input as inp
	want := {"17 bytes follow the end of the message", "the body has a problem: trailing-bytes"}
	f.messages(body_complete.results) == want with input as inp
}

test_bad_frame_sequence_fails if {
	inp := f.with_patch("body", {"problem": "bad-frame-sequence"})
	f.statuses(body_complete.results) == {"FAIL"} with input as inp
}

test_free_text_problem_is_not_quoted if {
	inp := f.with_patch("body", {"problem": "DOE^JOHN"})
	f.messages(body_complete.results) == {"the body has a problem"} with input as inp
	f.statuses(body_complete.results) == {"FAIL"} with input as inp
}

test_missing_body_fails if {
	inp := f.set(f.valid, "package", object.remove(f.package_doc, ["body"]))
	f.statuses(body_complete.results) == {"FAIL"} with input as inp
}
