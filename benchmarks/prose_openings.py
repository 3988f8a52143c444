"""Sixty story openings for ``bench_prose.py``, written for it in one sitting and not
tuned on one by one: a new, wider set than its first 24 (``OPENINGS`` there), to
measure the story preset on text it was not chosen on.

They vary on purpose: genres (fantasy to office comedy), persons (first, second,
third), tenses (past and present), openings that start with dialogue, and openings
that end mid-sentence as much as at a full stop. Each is (label, text); the label
says the genre, then the person and tense ("3p past"), and "dialogue" when it
opens with speech.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["WIDER"]

WIDER: Sequence[tuple[str, str]] = (
    # -- third person, past tense ---------------------------------------------------
    (
        "fantasy 3p past",
        "The last bridge-keeper of Varn kept a ledger of everyone who crossed, and on the morning the "
        "river turned silver, she found a name in it that she had not written.",
    ),
    (
        "science fiction 3p past",
        "The signal came from the dark side of the moon at four in the morning, and by five "
        "Commander Reyes had been told three times to ignore it.",
    ),
    (
        "mystery 3p past",
        "Inspector Hale arrived at the lighthouse to find the lamp still burning, the door bolted "
        "from the inside, and the keeper nowhere at all.",
    ),
    (
        "horror 3p past",
        "The new house was perfect except for the cellar door, which the twins swore was a different "
        "colour every morning.",
    ),
    (
        "romance 3p past",
        "Mara had sold umbrellas outside the train station for six years, and in all that time the "
        "man in the grey coat had never once needed one, until",
    ),
    (
        "western 3p past",
        "When the rain finally came to Copper Flats, it brought a stranger with it, riding a mule "
        "and carrying a piano on a cart.",
    ),
    (
        "historical 3p past",
        "In the spring of 1665, the apothecary's apprentice noticed that the rats in Pudding Lane "
        "had stopped running from the cats.",
    ),
    (
        "adventure 3p past",
        "The map had been tattooed on the old sailor's back, and when he died in the harbour "
        "tavern, four people reached for their knives at once.",
    ),
    (
        "fable 3p past",
        "A fox who had lost his tail in a trap decided that the other foxes should cut off theirs, "
        "and so he called a meeting beneath the oak.",
    ),
    (
        "war 3p past",
        "The two armies had been camped on opposite banks of the river for a month when the "
        "soldiers on both sides began leaving bread on the bridge at night.",
    ),
    (
        "comedy 3p past",
        "Gerald had planned the surprise party for weeks, which made it all the more awkward when "
        "he realised he had invited the wrong Susan.",
    ),
    (
        "thriller 3p past",
        "The briefcase was handcuffed to the wrist of a man who had been dead for at least a day, "
        "and the train was still forty minutes from Vienna.",
    ),
    (
        "fairy tale 3p past",
        "Long ago, when wishes still worked, a poor shoemaker found a pair of tiny boots on his "
        "bench that he had never made.",
    ),
    (
        "literary 3p past",
        "Every Sunday after church, Mrs Abernathy walked to the edge of the cliff and read one "
        "page of her late husband's diary to the sea.",
    ),
    (
        "cyberpunk 3p past",
        "Kai's implant had been hacked twice that week, but this was the first time the intruder "
        "had left a message behind, and it was signed with Kai's own name.",
    ),
    (
        "myth 3p past",
        "Before there were seasons, the sun and the moon shared a single house at the end of the world, "
        "and they took turns",
    ),
    (
        "sports 3p past",
        "Nobody in the village had ever beaten old Ibrahim at chess, so when the girl from the city "
        "sat down across from him, the whole café went quiet.",
    ),
    (
        "ghost story 3p past",
        "The night porter at the Grand Hotel had learned to ignore the lift that came down empty "
        "at midnight, but tonight it stopped at his floor and the doors stayed open.",
    ),
    (
        "children's 3p past",
        "Pip the hedgehog wanted more than anything to see the ocean, even though every animal "
        "in Bramble Wood told him it was much too far.",
    ),
    (
        "post-apocalyptic 3p past",
        "The radio in the bunker had been silent for nine years when it crackled to life "
        "and a child's voice began reading the weather.",
    ),
    # -- first person, past tense ----------------------------------------------------
    (
        "noir 1p past",
        "I knew she was trouble the moment she paid my fee in gold coins that had not been minted for a hundred years.",
    ),
    (
        "memoir 1p past",
        "My father kept bees on the roof of our apartment building in Naples, and the summer I was "
        "ten, he let me open the hives for the first time.",
    ),
    (
        "science fiction 1p past",
        "I was the only one awake on the ship when the captain's voice came over the "
        "speakers, which was strange, because I had watched them bury the captain the week before.",
    ),
    (
        "fantasy 1p past",
        "I was apprenticed to the royal mapmaker at thirteen, and by fourteen I had learned that "
        "half the kingdom on his maps did not exist.",
    ),
    (
        "horror 1p past",
        "The first time I heard the knocking, I thought it was the pipes. The second time, it came "
        "from inside the wardrobe, and it knocked back when I",
    ),
    (
        "coming of age 1p past",
        "The year we moved to the coast, my brother stopped talking to me, and I spent the "
        "whole summer trying to find out why.",
    ),
    (
        "mystery 1p past",
        "I found the letter in a library book I had borrowed for a school project, folded into "
        "the page about the town's old mill, and it was addressed to me.",
    ),
    (
        "romance 1p past",
        "I had sworn off weddings after my own was called off, but my sister was getting married "
        "on an island with no ferry home until Monday.",
    ),
    (
        "war 1p past",
        "We reached the farmhouse an hour before dawn, eleven of us, and the old woman who opened the "
        "door did not ask who we were.",
    ),
    (
        "adventure 1p past",
        "I won the balloon in a card game in Marseille, and it was only when we were a mile above "
        "the sea that I admitted I had never flown one.",
    ),
    (
        "comedy 1p past",
        "I had been a professional house-sitter for three years and had never lost a pet, until "
        "the Hendersons' parrot learned to open windows.",
    ),
    (
        "gothic 1p past",
        "When I inherited my aunt's house on the moor, the solicitor gave me a ring of twelve keys "
        "and warned me never to look for the thirteenth door.",
    ),
    # -- present tense ---------------------------------------------------------------
    (
        "thriller 3p present",
        "The phone rings at 3 a.m., and Dana knows before she answers that it is the same voice, counting down again.",
    ),
    (
        "literary 3p present",
        "Each morning the old man sets two cups on the table, fills them both, and drinks only one.",
    ),
    (
        "science fiction 1p present",
        "I wake up in a white room with no door, and on the wall someone has written, "
        "in my handwriting, DO NOT TRUST THE",
    ),
    (
        "fantasy 3p present",
        "The witch of the salt marsh is seventeen and has never cast a spell, but the village "
        "does not need to know that.",
    ),
    (
        "horror 1p present",
        "The snow has not stopped for six days, the phones are dead, and every night the "
        "footprints around the cabin come a little closer to the door.",
    ),
    (
        "romance 1p present",
        "He is sitting in my seat again, the one by the window in the café on Rue Clement, and "
        "this time I am going to say something.",
    ),
    (
        "mystery 3p present",
        "The detective stands in the empty ballroom and counts the chairs: forty-one, when the guest list says forty.",
    ),
    (
        "slice of life 1p present",
        "It is the first warm day of the year, and the whole street has come outside, "
        "even Mr Okonkwo, who has not left his house since",
    ),
    (
        "dystopia 3p present",
        "In the city where dreams are taxed, Lina sleeps as little as she can and keeps her "
        "best dreams hidden in a notebook under the floor.",
    ),
    (
        "adventure 3p present",
        "The raft is coming apart, the jungle river is getting faster, and somewhere ahead "
        "the roar of the falls grows louder with every bend.",
    ),
    # -- second person -------------------------------------------------------------
    (
        "fantasy 2p present",
        "You wake in the tower with no memory of how you got there, and the raven on the "
        "windowsill is calling you by a name that is not yours.",
    ),
    (
        "horror 2p present",
        "You hear the scratching again as you climb the stairs, and this time you are sure it is "
        "coming from inside the walls.",
    ),
    (
        "science fiction 2p present",
        "You have been alone on the station for two hundred days when the airlock "
        "cycles, and someone knocks on the inner door.",
    ),
    (
        "mystery 2p past",
        "You should never have opened the envelope. You knew it the moment you saw your own "
        "photograph inside, taken from across the street the night before.",
    ),
    (
        "adventure 2p present",
        "You stand at the edge of the glacier with a rope, a lantern and a map drawn by a man "
        "who never came back, and you",
    ),
    (
        "literary 2p present",
        "You go back to your grandmother's village after twenty years and find that the "
        "baker still remembers how you like your bread.",
    ),
    (
        "thriller 2p present",
        "You have ninety seconds before the guards change shift, and the code for the vault "
        "door is written on the back of your hand in ink that is starting to run.",
    ),
    (
        "fairy tale 2p past",
        "You were the youngest of three sisters, and so of course it was you the old woman at "
        "the crossroads chose to give the golden thread.",
    ),
    # -- opening with dialogue ---------------------------------------------------------
    (
        "fantasy dialogue",
        '"You cannot take the sword," said the old knight, "because the sword has already chosen '
        'someone else." Elin looked at the blade and then at',
    ),
    (
        "science fiction dialogue",
        '"Tell me again," the captain said, "exactly what the machine said before it '
        'switched itself off." The engineer swallowed.',
    ),
    (
        "noir dialogue",
        '"I don\'t take missing-person cases," I told her. She put a photograph on my desk. "He\'s '
        'not missing," she said. "He\'s dead. He just keeps calling me."',
    ),
    (
        "comedy dialogue",
        '"Remind me why we stole a goat," said Marcus. "We didn\'t steal it," said Priya, "we '
        'rescued it." The goat, in the back seat, began to eat the map.',
    ),
    (
        "romance dialogue",
        '"Is this seat taken?" she asked, and Theo, who had been saving it for his brother for '
        "an hour, heard himself say no.",
    ),
    (
        "horror dialogue",
        '"Did you lock the back door?" Sam whispered. "We don\'t have a back door," said his '
        "mother, and then they both heard it open.",
    ),
    (
        "western dialogue",
        '"You\'re a long way from anywhere, stranger," said the bartender. The stranger set a '
        'silver dollar on the bar. "I\'m looking for my brother," he said.',
    ),
    (
        "mystery dialogue",
        '"Nobody leaves this house tonight," said the colonel, locking the library door. "One of '
        "you has taken my wife's necklace, and I intend to find out who.\"",
    ),
    (
        "children's dialogue",
        '"Are you sure dragons like pancakes?" asked Mia. Her grandfather flipped another one '
        'onto the pile. "Every dragon I ever met," he said, "could eat',
    ),
    (
        "war dialogue",
        '"How many of us are left?" asked the lieutenant. The sergeant counted the helmets in the '
        "trench twice before he answered.",
    ),
)
"""The openings, as (label, text)."""
