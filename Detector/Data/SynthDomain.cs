using OpenCvSharp;

namespace YoloDistill.Detector.Data;

/// <summary>
/// Which shape-colour pairs of the synthetic scenes are classes, and which colours distractors take.
/// <see cref="Shapes"/> is the built-in target set (8 classes in red, green and blue); <see cref="Pretrain"/> is a
/// separate set for pretraining (10 classes in six other colours, the target's classes among its distractors), so a
/// model pretrained on it knows shapes, sizes and backgrounds but not the target's classes, the way COCO weights
/// serve a user's own dataset.
/// </summary>
public sealed record SynthDomain(string Name, IReadOnlyList<SynthClass> Classes, IReadOnlyList<Scalar> DistractorColours)
{
    static readonly Scalar Yellow = new(40, 215, 225), Magenta = new(210, 40, 210), Cyan = new(220, 215, 40),
        White = new(235, 235, 235), Orange = new(30, 140, 250), Purple = new(130, 40, 110);

    /// <summary>The target domain of <c>dataset synth</c> (default): its distractor rules are fixed in <see cref="SynthScene"/>.</summary>
    public static readonly SynthDomain Shapes = new("shapes",
    [
        new("red_circle", SynthShape.Circle, SynthScene.Red),
        new("green_circle", SynthShape.Circle, SynthScene.Green),
        new("blue_circle", SynthShape.Circle, SynthScene.Blue),
        new("red_square", SynthShape.Square, SynthScene.Red),
        new("blue_square", SynthShape.Square, SynthScene.Blue),
        new("red_triangle", SynthShape.Triangle, SynthScene.Red),
        new("green_triangle", SynthShape.Triangle, SynthScene.Green),
        new("blue_triangle", SynthShape.Triangle, SynthScene.Blue),
    ], SynthScene.DistractorColours);

    /// <summary>The pretraining domain: every shape, colours the target has no class in; distractors in all nine colours.</summary>
    public static readonly SynthDomain Pretrain = new("pretrain",
    [
        new("white_circle", SynthShape.Circle, White),
        new("yellow_circle", SynthShape.Circle, Yellow),
        new("cyan_square", SynthShape.Square, Cyan),
        new("magenta_square", SynthShape.Square, Magenta),
        new("orange_triangle", SynthShape.Triangle, Orange),
        new("purple_triangle", SynthShape.Triangle, Purple),
        new("yellow_ellipse", SynthShape.Ellipse, Yellow),
        new("white_cross", SynthShape.Cross, White),
        new("magenta_ring", SynthShape.Ring, Magenta),
        new("orange_ring", SynthShape.Ring, Orange),
    ], [Yellow, Magenta, Cyan, White, Orange, Purple, SynthScene.Red, SynthScene.Green, SynthScene.Blue]);

    public static IReadOnlyList<SynthDomain> All { get; } = [Shapes, Pretrain];

    public static SynthDomain Parse(string name) =>
        All.FirstOrDefault(d => string.Equals(d.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown synthetic domain '{name}': expected {string.Join(" or ", All.Select(d => d.Name))}.");
}
