"""Best match: whole questions and queries with a word the text phrases differently still find paragraphs."""

from __future__ import annotations

import json

from conftest import clean_env, run_module, run_search

QUESTION = "ngành ngoại giao đã đóng góp gì cho kinh tế?"


def test_question_finds_economic_diplomacy_and_says_what_is_missing(engine):
    hits = run_search(engine, QUESTION)
    assert len(hits) == 10
    top = hits[:3]
    assert any("ngoại giao kinh tế" in h.text.lower() for h in top), [h.text[:60] for h in top]
    for hit in hits:
        assert "gì" in hit.missing  # no paragraph of the corpus has it: never shown as matched
        assert set(hit.matched) | set(hit.missing) == {"ngành", "ngoại", "giao", "đã", "đóng", "góp", "gì", "cho", "kinh", "tế"}
        assert not hit.complete_match
    assert hits.unknown == ["gì"]


def test_paragraphs_with_every_word_stay_on_top(small_engine):
    eng = small_engine(
        {
            "all.txt": "Tiêu đề\n\nMột đoạn nói về hợp tác và phát triển, có cả chữ kinh tế ở cuối câu này.\n",
            "most.txt": "Tiêu đề\n\nHợp tác kinh tế, hợp tác kinh tế, hợp tác kinh tế.\n",
        }
    )
    hits = run_search(eng, "hợp tác kinh tế phát triển")
    assert [h.path for h in hits] == ["all.txt", "most.txt"]
    assert hits[0].missing == [] and hits[1].missing == ["phát", "triển"]
    assert hits[0].score > hits[1].score


def test_a_misspelt_word_does_not_hide_the_paragraph(engine):
    hits = run_search(engine, "ngoại giao kihn tế")
    assert hits, "the three other words are in the corpus"
    assert any("ngoại giao kinh tế" in h.text.lower() for h in hits[:3])
    assert all(h.missing == ["kihn"] for h in hits)


def test_a_rare_missing_word_costs_more_than_a_frequent_one(small_engine):
    # "có" and "là" are in every paragraph; "thuế" in two.  A paragraph
    # missing the rare word must rank below one missing a frequent one.
    filler = {f"f{i}.txt": f"Tiêu đề\n\nĐây là đoạn {i} và nó có chữ bình thường.\n" for i in range(30)}
    eng = small_engine(
        {
            **filler,
            "lacks_frequent.txt": "Tiêu đề\n\nMức thuế là bao nhiêu phần trăm?\n",  # lacks "có"
            "lacks_rare.txt": "Tiêu đề\n\nMức phí là có bao nhiêu phần trăm?\n",  # lacks "thuế"
            "other.txt": "Tiêu đề\n\nThuế nhập khẩu.\n",
        }
    )
    hits = run_search(eng, "mức thuế là có bao nhiêu")
    order = [h.path for h in hits]
    assert order.index("lacks_frequent.txt") < order.index("lacks_rare.txt")
    assert hits[order.index("lacks_frequent.txt")].missing == ["có"]


def test_adjacent_words_found_adjacent_count_more(small_engine):
    eng = small_engine(
        {
            "adjacent.txt": "Tiêu đề\n\nBàn về ngoại giao hôm nay.\n",
            "apart.txt": "Tiêu đề\n\nBàn về giao thông và ngoại thành hôm nay.\n",
        }
    )
    hits = run_search(eng, "ngoại giao văn hóa")
    assert [h.path for h in hits] == ["adjacent.txt", "apart.txt"]


def test_phrases_and_exclusions_stay_hard_in_best_match(small_engine):
    eng = small_engine(
        {
            "phrase.txt": "Tiêu đề\n\nNgoại giao kinh tế được đẩy mạnh.\n",
            "scattered.txt": "Tiêu đề\n\nKinh tế và ngoại giao được đẩy mạnh nhiều.\n",
            "excluded.txt": "Tiêu đề\n\nNgoại giao kinh tế được đẩy mạnh ở Mỹ.\n",
        }
    )
    hits = run_search(eng, '"ngoại giao kinh tế" đẩy mạnh năm nay -mỹ')
    assert [h.path for h in hits] == ["phrase.txt"]
    assert hits[0].missing == ["năm", "nay"]


def test_all_words_switches_best_match_off(engine):
    assert len(run_search(engine, QUESTION, all_words=True)) == 0
    assert len(run_search(engine, "ngoại giao kinh tế", all_words=True)) > 0


def test_a_marked_question_ranks_exact_words_higher(small_engine):
    eng = small_engine(
        {
            "ngoai.txt": "Tiêu đề\n\nQuan hệ ngoài nước được mở rộng.\n",
            "ngoai5.txt": "Tiêu đề\n\nQuan hệ ngoại nước được mở rộng.\n",
        }
    )
    hits = run_search(eng, "quan hệ ngoại giao mở rộng thế nào")
    assert [h.path for h in hits] == ["ngoai5.txt", "ngoai.txt"]
    assert hits[0].exact and not hits[1].exact


# -- the command line -----------------------------------------------------------------


def test_cli_marks_best_match_hits_with_their_missing_words(bundled, tmp_path):
    done = run_module("searcher.cli", ["--index", str(bundled.index), "-n", "3", QUESTION], tmp_path)
    assert done.returncode == 0, done.stderr
    marks = [line.strip() for line in done.stdout.splitlines() if line.strip().startswith("(không có:")]
    assert len(marks) == 3 and all("gì" in mark for mark in marks), done.stdout
    assert "not in the index: gì" in done.stderr


def test_cli_json_has_matched_and_missing(bundled, tmp_path):
    done = run_module("searcher.cli", ["--index", str(bundled.index), "--json", "-n", "2", QUESTION], tmp_path)
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(records) == 2
    for record in records:
        assert "gì" in record["missing"] and "ngoại" in record["matched"]


def test_cli_all_exits_1_when_no_paragraph_has_every_word(bundled, tmp_path):
    done = run_module("searcher.cli", ["--index", str(bundled.index), "--all", QUESTION], tmp_path)
    assert (done.returncode, done.stdout) == (1, "")
    assert "not in the index: gì" in done.stderr


def test_cli_names_the_words_when_none_is_in_the_index(bundled, tmp_path):
    done = run_module("searcher.cli", ["--index", str(bundled.index), "xyzzyq", "qwfpgj"], tmp_path, env=clean_env())
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.strip() == "search: no paragraph has any of these words: xyzzyq qwfpgj"
