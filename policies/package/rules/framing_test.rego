package imgsec.package.rules.framing_test

import data.imgsec.package.fixtures_test as f
import data.imgsec.package.rules.framing

test_one_mebibyte_frames_pass if {
	f.statuses(framing.results) == {"PASS"} with input as f.valid
	want := "framed content, frame length 1048576 (between 4096 and 16777216)"
	f.messages(framing.results) == {want} with input as f.valid
}

test_bounds_pass if {
	f.statuses(framing.results) == {"PASS"} with input as f.with_patch("format", {"frame_length": 4096})
	f.statuses(framing.results) == {"PASS"} with input as f.with_patch("format", {"frame_length": 16777216})
}

test_non_framed_fails if {
	inp := f.with_patch("format", {"content_type": "non-framed", "frame_length": 0})
	f.statuses(framing.results) == {"FAIL"} with input as inp
	want := "the body is not framed: non-framed content must be decrypted whole in memory"
	f.messages(framing.results) == {want} with input as inp
}

test_unknown_content_type_fails if {
	inp := f.with_patch("format", {"content_type": "DOE^JOHN"})
	f.messages(framing.results) == {"the content type is missing or unknown"} with input as inp
	f.statuses(framing.results) == {"FAIL"} with input as inp
}

test_small_frames_fail if {
	inp := f.with_patch("format", {"frame_length": 512})
	f.statuses(framing.results) == {"FAIL"} with input as inp
	f.messages(framing.results) == {"frame length 512 is below the minimum 4096"} with input as inp
}

test_huge_frames_fail if {
	inp := f.with_patch("format", {"frame_length": 33554432})
	f.statuses(framing.results) == {"FAIL"} with input as inp
	f.messages(framing.results) == {"frame length 33554432 is above the maximum 16777216"} with input as inp
}

test_missing_frame_length_fails if {
	inp := f.with_package("format", {"version": 2, "content_type": "framed"})
	f.statuses(framing.results) == {"FAIL"} with input as inp
}

test_bounds_come_from_params if {
	inp := f.with_param("max_frame_length", 65536)
	f.statuses(framing.results) == {"FAIL"} with input as inp
}
