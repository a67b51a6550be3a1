"""The hand-written off-template set: videos phrased unlike the study's templates.

Claims as a news report, a study or a rumour would phrase them ("according to a study...",
"reports claim that..."), opinions in everyday stance words ("personally i reckon...", "if you
ask me..."), with engagement counts that contradict each label (claims with few views, opinions
with many). It is how the ``default`` model was chosen; the issue's own off-template set is held
back from us.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from viewcast.claims.data import BAN, COUNTS, LABEL, TEXT, VERIFIED

OFF_TEMPLATE_CLAIMS = (
    "according to a study published last year coffee drinkers live longer",
    "scientists have confirmed that the great wall of china is not visible from space",
    "a new report says the amazon rainforest produces twenty percent of the world's oxygen",
    "researchers at a university found that octopuses have three hearts",
    "the government announced that fuel prices will drop by ten percent next month",
    "experts say that eating carrots improves your night vision",
    "this documentary revealed that the pyramids were built by paid workers",
    "news outlets are reporting that a new planet was discovered beyond neptune",
    "data from nasa shows that the moon is slowly drifting away from earth",
    "a survey found that most people check their phones within minutes of waking up",
    "it has been proven that honey never spoils",
    "historians have documented that napoleon was of average height for his time",
    "officials confirmed the bridge will close for repairs on monday",
    "an article in the journal nature states that bees can recognise human faces",
    "the census recorded more than eight million people living in the city",
    "doctors warn that sitting all day raises the risk of heart disease",
    "a podcast i listened to mentioned that bananas are technically berries",
    "my teacher told us the eiffel tower grows taller in summer",
    "apparently the average cloud weighs over a million pounds",
    "reports claim that the company will lay off half of its staff",
    "statistics show that left handed people make up about ten percent of the population",
    "the encyclopedia says that sharks existed before trees",
    "i saw on the news that the river flooded three villages overnight",
    "a leaked memo suggests the product launch has been delayed",
    "engineers measured that the tower leans almost four degrees",
    "the museum's records show the painting was stolen in 1911",
    "sources inside the team say the coach has already resigned",
    "a fact check site found that the quote was never said by einstein",
    "my cousin heard on the radio that schools will open a week later",
    "lab tests revealed high levels of lead in the city's water",
    "the latest poll shows the mayor ahead by six points",
    "a textbook explains that lightning is hotter than the surface of the sun",
    "the weather service recorded the hottest july in a century",
    "an expert on tv stated that dogs can smell cancer",
    "the newspaper published evidence that the election results were miscounted",
    "the study observed that children who read daily have larger vocabularies",
    "there is evidence that humans and neanderthals interbred",
    "it was reported that the stadium will be demolished next spring",
    "the ministry estimated that one in five homes lacks internet access",
    "researchers discovered a new species of frog in the andes",
    "drinking lemon water cures diabetes",
    "5g towers spread viruses",
    "the new phone battery lasts three full days",
    "the great pyramid was built in twenty years",
    "vaccines contain tracking microchips",
)
OFF_TEMPLATE_OPINIONS = (
    "personally i reckon pineapple belongs on pizza",
    "honestly this is the best album of the decade",
    "i guess cats are just better pets than dogs",
    "in my view summer holidays are far too long",
    "i feel like the sequel was way better than the original movie",
    "to be honest i think remote work is here to stay",
    "i suspect most people secretly prefer winter",
    "my gut says the team will win the cup this year",
    "i'd argue that breakfast is the most overrated meal",
    "it seems to me that city life is more stressful than it used to be",
    "i personally love rainy days more than sunny ones",
    "if you ask me jazz is underrated",
    "i suppose learning latin is still worth it",
    "maybe it's just me but modern cars all look the same",
    "i'm pretty sure this coffee shop makes the best croissants in town",
    "i have a hunch the next phone will be a flop",
    "i tend to think that board games beat video games",
    "my take is that the ending of the series was rushed",
    "i imagine most kids would rather play outside",
    "in our house we all agree that mondays are the worst",
    "i'm convinced that homemade bread tastes better",
    "we think the new logo looks cheap",
    "i'd say hiking is the perfect weekend hobby",
    "probably the smartest move is to wait for the sale",
    "i doubt anyone will remember this trend next year",
    "i consider tea far more relaxing than coffee",
    "we feel the concert was too loud",
    "my sense is that people are happier in smaller towns",
    "i wonder if anyone else thinks this song is annoying",
    "i believe kindness matters more than talent",
    "for me the mountains beat the beach every time",
    "i really hate how long these videos are getting",
    "i would bet that spring is everyone's favourite season",
    "my opinion is that homework should be optional",
    "i kind of assume that every sequel will disappoint",
    "our family thinks the old house felt cosier",
    "i suspect this diet is a waste of time",
    "it feels like autumn is the most beautiful season",
    "i am sure that dogs are the most loyal animals",
    "i reckon the best pizza is the one you make yourself",
    "this is hands down the most beautiful beach in europe",
    "that ending was so annoying",
    "nothing beats a lazy sunday morning",
    "the first season was brilliant and the second was boring",
    "i could listen to this song all day",
)


def off_template_set(seed: int = 0) -> pd.DataFrame:
    """The hand-written set, labelled, with counts that contradict each label."""
    rng = np.random.default_rng(seed)
    texts = list(OFF_TEMPLATE_CLAIMS) + list(OFF_TEMPLATE_OPINIONS)
    labels = ["claim"] * len(OFF_TEMPLATE_CLAIMS) + ["opinion"] * len(OFF_TEMPLATE_OPINIONS)
    is_claim = np.array([label == "claim" for label in labels])
    views = np.where(is_claim, rng.integers(50, 5_000, len(texts)), rng.integers(100_000, 1_000_000, len(texts)))
    frame = pd.DataFrame({LABEL: labels, TEXT: texts, VERIFIED: "not verified", BAN: "active"})
    frame[COUNTS[0]] = views.astype(float)
    for name, share in zip(COUNTS[1:], (0.2, 0.04, 0.004, 0.001)):
        frame[name] = np.round(views * share * rng.uniform(0.3, 1.5, len(texts)))
    return frame
