from grading import letters, median, passing_rate, rank_names, sorted_marks


def test_sorted_marks_is_a_copy():
    marks = [72, 55, 91, 55, 100, 0]
    assert sorted_marks(marks) == [0, 55, 55, 72, 91, 100]
    assert marks == [72, 55, 91, 55, 100, 0]
    assert sorted_marks([]) == []


def test_rank_names_in_place():
    names = ["mia", "al", "zoe", "al", "bo"]
    out = rank_names(names)
    assert out is names
    assert names == ["al", "al", "bo", "mia", "zoe"]


def test_letters():
    assert letters([95, 85, 75, 65, 5, 90, 60]) == ["A", "B", "C", "D", "F", "A", "D"]


def test_passing_rate():
    assert passing_rate([60, 59, 100, 10]) == 0.5
    assert passing_rate([]) == 0.0


def test_median():
    assert median([3, 1, 2]) == 2.0
    assert median([4, 1, 3, 2]) == 2.5
