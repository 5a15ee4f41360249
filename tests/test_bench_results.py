"""bench.run keeps earlier results of the same day instead of overwriting them."""

from bench.run import _result_paths


def test_a_second_run_on_the_same_day_gets_its_own_files(tmp_path):
    md, png = _result_paths(tmp_path, "2026-01-02")
    assert (md.name, png.name) == ("2026-01-02.md", "2026-01-02.png")
    md.write_text("first")
    md2, png2 = _result_paths(tmp_path, "2026-01-02")
    assert (md2.name, png2.name) == ("2026-01-02-2.md", "2026-01-02-2.png")
    png2.write_bytes(b"chart only")  # a chart alone also marks the name as taken
    assert _result_paths(tmp_path, "2026-01-02")[0].name == "2026-01-02-3.md"
    assert md.read_text() == "first"
