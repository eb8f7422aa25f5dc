"""Persuasion techniques: the SemEval-2023 taxonomy and its older views.

The 23 techniques of SemEval-2023 Task 3 are propscan's internal names; the
14 SemEval-2020 Task 11 names and the 20 SemEval-2021 Task 6 names are views
onto them, so data annotated in either can be trained on and output in either.
Definitions and examples are written for propscan (not copied from the
annotation guidelines) so they can be shown to users in reports.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Technique:
    name: str
    category: str
    label: str
    definition: str
    example: str


@dataclass(frozen=True)
class Category:
    name: str
    label: str
    colour: str
    description: str


CATEGORIES: dict[str, Category] = {
    c.name: c
    for c in [
        Category("Attack_on_Reputation", "Attack on reputation", "#e4572e",
                 "Targets the person or group making an argument instead of the argument."),
        Category("Justification", "Justification", "#4f86c6",
                 "Props a claim up with feelings, authority or popularity instead of evidence."),
        Category("Simplification", "Simplification", "#76b041",
                 "Makes a complex matter look simpler than it is."),
        Category("Distraction", "Distraction", "#9b5de5",
                 "Moves attention away from the point at issue."),
        Category("Call", "Call", "#f2a541",
                 "Urges the audience to act or think a certain way without argument."),
        Category("Manipulative_Wording", "Manipulative wording", "#17bebb",
                 "Word choice meant to stir emotion or blur meaning."),
    ]
}

_T = Technique
TECHNIQUES: dict[str, Technique] = {
    t.name: t
    for t in [
        # Attack on reputation
        _T("Name_Calling-Labeling", "Attack_on_Reputation", "Name calling / labeling",
           "Attaches a label to a person or group that the audience is meant to fear, hate or admire, "
           "so the label does the arguing.",
           "The so-called experts in the ministry of lies have spoken again."),
        _T("Guilt_by_Association", "Attack_on_Reputation", "Guilt by association",
           "Discredits a person or idea by linking it to someone or something the audience already despises.",
           "Her tax plan is exactly what the old dictator would have wanted."),
        _T("Doubt", "Attack_on_Reputation", "Doubt",
           "Questions the credibility of a person or institution without offering grounds.",
           "Can we really trust a minister who changes his mind every week?"),
        _T("Appeal_to_Hypocrisy", "Attack_on_Reputation", "Appeal to hypocrisy (tu quoque)",
           "Answers a criticism by accusing the critic of doing the same.",
           "They lecture us on emissions while flying to every summit in private jets."),
        _T("Questioning_the_Reputation", "Attack_on_Reputation", "Questioning the reputation",
           "Undermines the character or record of a target with negative claims unrelated to the issue.",
           "The mayor, long known for his shady friendships, now presents a budget."),
        # Justification
        _T("Flag_Waving", "Justification", "Flag waving",
           "Justifies a position by appealing to national or group pride and identity.",
           "Every true patriot will stand with our soldiers on this."),
        _T("Appeal_to_Authority", "Justification", "Appeal to authority",
           "Presents a claim as true because an authority or expert said so, standing in for evidence.",
           "A leading scientist says the policy will work, so the debate is over."),
        _T("Appeal_to_Popularity", "Justification", "Appeal to popularity (bandwagon)",
           "Argues that something is right because many people believe or do it.",
           "Millions have already switched; do not be the last one left behind."),
        _T("Appeal_to_Values", "Justification", "Appeal to values",
           "Links a position to values the audience holds dear, such as freedom, faith or tradition.",
           "Supporting this law is simply what any decent, God-fearing family would do."),
        _T("Appeal_to_Fear-Prejudice", "Justification", "Appeal to fear / prejudice",
           "Builds support by stirring fear or prejudice about what happens otherwise.",
           "If the border stays open, our towns will be overrun within a year."),
        # Simplification
        _T("Causal_Oversimplification", "Simplification", "Causal oversimplification",
           "Assumes a single cause for an outcome that has several.",
           "Crime went up because the new mayor took office."),
        _T("False_Dilemma-No_Choice", "Simplification", "False dilemma / no choice",
           "Presents two options as the only ones when more exist.",
           "Either you back this war or you side with the terrorists."),
        _T("Consequential_Oversimplification", "Simplification", "Consequential oversimplification (slippery slope)",
           "Claims that a first step will lead, without good reason, to a chain of extreme consequences.",
           "Allow this small tax today and tomorrow they will seize your savings."),
        # Distraction
        _T("Straw_Man", "Distraction", "Straw man",
           "Refutes a distorted version of an opponent's position instead of the real one.",
           "My rival wants to protect wildlife, so he obviously cares more about owls than people."),
        _T("Red_Herring", "Distraction", "Red herring",
           "Introduces an irrelevant topic to divert attention from the issue.",
           "Why talk about the budget deficit when the weather has been so dreadful?"),
        _T("Whataboutism", "Distraction", "Whataboutism",
           "Deflects criticism by pointing to a supposedly comparable wrong by the other side.",
           "Our army shelled a town? What about what their army did ten years ago?"),
        # Call
        _T("Slogans", "Call", "Slogans",
           "A brief, striking phrase, often a rallying cry, that stands in for an argument.",
           "Take back control!"),
        _T("Conversation_Killer", "Call", "Conversation killer (thought-terminating cliché)",
           "A phrase that shuts down discussion and discourages critical thought.",
           "It is what it is, and that's the end of it."),
        _T("Appeal_to_Time", "Call", "Appeal to time",
           "Argues that now is the moment to act, pressing urgency instead of reasons.",
           "The time to act is now; tomorrow will be too late."),
        # Manipulative wording
        _T("Loaded_Language", "Manipulative_Wording", "Loaded language",
           "Words or phrases with strong emotional connotations used to sway the audience.",
           "The brutal, bloodthirsty regime unleashed another wave of terror."),
        _T("Obfuscation-Vagueness-Confusion", "Manipulative_Wording", "Obfuscation / vagueness / confusion",
           "Deliberately unclear wording that lets the audience read in whatever suits the writer.",
           "Certain forces, as everyone knows, have their own reasons for this."),
        _T("Exaggeration-Minimisation", "Manipulative_Wording", "Exaggeration / minimisation",
           "Represents something as far larger, better or worse than it is, or plays it down.",
           "This is the greatest betrayal in the history of mankind."),
        _T("Repetition", "Manipulative_Wording", "Repetition",
           "Repeats the same word or phrase across the text so the idea sticks.",
           "They lied. They lied about the war, and they lied again about the cost."),
    ]
}

TECHNIQUE_NAMES: tuple[str, ...] = tuple(sorted(TECHNIQUES))

# SemEval-2020 Task 11 (14 labels). Several 2023 techniques merge into one 2020 label.
TO_2020: dict[str, str] = {
    "Appeal_to_Authority": "Appeal_to_Authority",
    "Appeal_to_Fear-Prejudice": "Appeal_to_fear-prejudice",
    "Appeal_to_Popularity": "Bandwagon,Reductio_ad_hitlerum",
    "Guilt_by_Association": "Bandwagon,Reductio_ad_hitlerum",
    "False_Dilemma-No_Choice": "Black-and-White_Fallacy",
    "Causal_Oversimplification": "Causal_Oversimplification",
    "Doubt": "Doubt",
    "Exaggeration-Minimisation": "Exaggeration,Minimisation",
    "Flag_Waving": "Flag-Waving",
    "Loaded_Language": "Loaded_Language",
    "Name_Calling-Labeling": "Name_Calling,Labeling",
    "Repetition": "Repetition",
    "Slogans": "Slogans",
    "Conversation_Killer": "Thought-terminating_Cliches",
    "Whataboutism": "Whataboutism,Straw_Men,Red_Herring",
    "Straw_Man": "Whataboutism,Straw_Men,Red_Herring",
    "Red_Herring": "Whataboutism,Straw_Men,Red_Herring",
    # No 2020 counterpart; the nearest label is used so no span is lost.
    "Appeal_to_Hypocrisy": "Whataboutism,Straw_Men,Red_Herring",
    "Obfuscation-Vagueness-Confusion": "Doubt",
    "Questioning_the_Reputation": "Name_Calling,Labeling",
    "Appeal_to_Values": "Flag-Waving",
    "Consequential_Oversimplification": "Causal_Oversimplification",
    "Appeal_to_Time": "Slogans",
}
NAMES_2020: tuple[str, ...] = tuple(sorted(set(TO_2020.values())))

# 2020 label -> the 2023 technique used when reading 2020 annotations.
FROM_2020: dict[str, str] = {
    "Appeal_to_Authority": "Appeal_to_Authority",
    "Appeal_to_fear-prejudice": "Appeal_to_Fear-Prejudice",
    "Bandwagon,Reductio_ad_hitlerum": "Guilt_by_Association",
    "Black-and-White_Fallacy": "False_Dilemma-No_Choice",
    "Causal_Oversimplification": "Causal_Oversimplification",
    "Doubt": "Doubt",
    "Exaggeration,Minimisation": "Exaggeration-Minimisation",
    "Flag-Waving": "Flag_Waving",
    "Loaded_Language": "Loaded_Language",
    "Name_Calling,Labeling": "Name_Calling-Labeling",
    "Repetition": "Repetition",
    "Slogans": "Slogans",
    "Thought-terminating_Cliches": "Conversation_Killer",
    "Whataboutism,Straw_Men,Red_Herring": "Whataboutism",
}

# SemEval-2021 Task 6 (memes, 20 labels) -> 2023.
FROM_2021: dict[str, str] = {
    "Appeal to authority": "Appeal_to_Authority",
    "Appeal to fear/prejudice": "Appeal_to_Fear-Prejudice",
    "Black-and-white Fallacy/Dictatorship": "False_Dilemma-No_Choice",
    "Causal Oversimplification": "Causal_Oversimplification",
    "Doubt": "Doubt",
    "Exaggeration/Minimisation": "Exaggeration-Minimisation",
    "Flag-waving": "Flag_Waving",
    "Glittering generalities (Virtue)": "Appeal_to_Values",
    "Loaded Language": "Loaded_Language",
    "Misrepresentation of Someone's Position (Straw Man)": "Straw_Man",
    "Name calling/Labeling": "Name_Calling-Labeling",
    "Obfuscation, Intentional vagueness, Confusion": "Obfuscation-Vagueness-Confusion",
    "Presenting Irrelevant Data (Red Herring)": "Red_Herring",
    "Reductio ad hitlerum": "Guilt_by_Association",
    "Repetition": "Repetition",
    "Slogans": "Slogans",
    "Smears": "Questioning_the_Reputation",
    "Thought-terminating cliché": "Conversation_Killer",
    "Whataboutism": "Whataboutism",
    "Bandwagon": "Appeal_to_Popularity",
}
TO_2021: dict[str, str] = {v: k for k, v in FROM_2021.items()}
TO_2021.update({
    "Appeal_to_Hypocrisy": "Whataboutism",
    "Consequential_Oversimplification": "Causal Oversimplification",
    "Appeal_to_Time": "Slogans",
})
NAMES_2021: tuple[str, ...] = tuple(sorted(FROM_2021))

TAXONOMIES = ("2023", "2020", "2021")


def category_of(technique: str) -> str:
    return TECHNIQUES[technique].category


def to_view(technique: str, taxonomy: str = "2023") -> str:
    """Name of a 2023 technique in the requested taxonomy view."""
    if taxonomy == "2023":
        return technique
    if taxonomy == "2020":
        return TO_2020[technique]
    if taxonomy == "2021":
        return TO_2021[technique]
    raise ValueError(f"unknown taxonomy {taxonomy!r}; expected one of {', '.join(TAXONOMIES)}")


def normalise(name: str) -> str:
    """Any known technique name (2023, 2020 or 2021 spelling) to its 2023 name."""
    if name in TECHNIQUES:
        return name
    if name in FROM_2020:
        return FROM_2020[name]
    if name in FROM_2021:
        return FROM_2021[name]
    # tolerate typos found in the published label files, e.g. 'Appeal_to_Fear-Prejudi-čce'
    import difflib

    known = list(TECHNIQUES) + list(FROM_2020) + list(FROM_2021)
    close = difflib.get_close_matches(name.strip(), known, n=1, cutoff=0.85)
    if close:
        return normalise(close[0])
    raise KeyError(f"unknown technique name {name!r}")
