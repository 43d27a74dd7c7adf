using C2Fast.Framing;

namespace C2Fast.Fuzz.Targets;

/// <summary>
/// <see cref="Utf8Validator"/>, the incremental check of fragmented text messages. Input: a chunk plan (byte 0: how
/// many size bytes follow, 0-15; each size byte is one chunk length, 0-255, used in turn) and then the text.
/// </summary>
/// <remarks>
/// Invariants, for the input's chunking, one byte per chunk, three-byte chunks and the whole text, each chunk also
/// copied flush against a guard page: after every chunk the answer is what <see cref="Utf8Reference"/> (RFC 3629)
/// says of everything so far (false exactly at the first chunk that makes the text invalid: never earlier, never
/// later), <see cref="Utf8Validator.HasPending"/> says whether a code point is cut; at the end, accepted (no false,
/// nothing pending) ⇔ <see cref="System.Text.Unicode.Utf8.IsValid(ReadOnlySpan{byte})"/> ⇔ the reference;
/// <see cref="Utf8Validator.Reset"/> forgets everything.
/// </remarks>
internal sealed class Utf8ValidationTarget : IFuzzTarget
{
    private const int MaxText = 4096;

    public string Name => "utf8";

    public string Description => "Utf8Validator across input-chosen chunks vs an RFC 3629 reference and Utf8.IsValid";

    public void Run(ReadOnlySpan<byte> input)
    {
        ChunkPlan plan = ChunkPlan.Read(input, zeroAllowed: true);
        ReadOnlySpan<byte> text = plan.Data[..Math.Min(plan.Data.Length, MaxText)];
        bool expected = Utf8Reference.IsValid(text);
        Invariant.Equal(expected, System.Text.Unicode.Utf8.IsValid(text), "the reference vs Utf8.IsValid");

        var validator = default(Utf8Validator);
        Invariant.Equal(expected, Check(ref validator, text, plan.Sizes, guarded: false), "input-chosen chunks");
        validator.Reset();
        Invariant.True(!validator.HasPending, "Reset left bytes pending");
        Invariant.Equal(expected, Check(ref validator, text, [1], guarded: false), "one byte per chunk");
        validator.Reset();
        Invariant.Equal(expected, Check(ref validator, text, [3], guarded: true), "three-byte chunks, guarded");
        validator.Reset();
        Invariant.Equal(expected, Check(ref validator, text, [], guarded: true), "whole, guarded");
    }

    /// <summary>Feeds the chunks and checks the answer after each one; returns whether the text was accepted.</summary>
    private static bool Check(ref Utf8Validator validator, ReadOnlySpan<byte> text, int[] sizes, bool guarded)
    {
        Utf8Reference reference = Utf8Reference.Start();
        int offset = 0;
        int index = 0;
        do
        {
            int size = sizes.Length == 0 ? text.Length : Math.Min(sizes[index++ % sizes.Length], text.Length - offset);
            ReadOnlySpan<byte> chunk = text.Slice(offset, size);
            offset += size;
            reference.Feed(chunk);

            bool ok;
            if (guarded)
            {
                // The same step on a copy of the state, with the chunk flush against a guard page: the same answer.
                Utf8Validator copy = validator;
                bool atEnd = (index & 1) == 0;
                bool guardedOk = GuardedPages.With(chunk, atEnd, c =>
                {
                    Utf8Validator state = copy;
                    return state.TryValidate(c);
                });
                ok = validator.TryValidate(chunk);
                Invariant.Equal(ok, guardedOk, $"the chunk ending at {offset} flush against a guard page");
            }
            else
            {
                ok = validator.TryValidate(chunk);
            }

            Invariant.Equal(reference.Valid, ok, $"answer after {offset} bytes ({Invariant.Hex(text[..offset])})");
            if (!ok)
            {
                return false;
            }

            Invariant.Equal(reference.Pending, validator.HasPending, $"HasPending after {offset} bytes");
        }
        while (offset < text.Length);

        return !validator.HasPending;
    }
}
