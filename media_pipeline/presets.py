"""Export presets and loudness targets, as data.

Platform figures are the ones commonly published in the platforms' creator
guides (creator centres and help pages, as quoted in 2024–25); platforms
change them without notice and quote different limits for app and web
upload, so where sources disagree the stricter figure is used, so that our
check refuses before the platform does. Figures marked "house" are our own
choice, not a platform rule. The post's text limits (title, description,
topics) are those of the upload forms of the platforms' web creator centres
as quoted in 2024–25 guides. Frame rates are maxima: a faster source is
divided down by a whole factor (60 → 30, 50 → 25), a slower one keeps its rate.
"""

from dataclasses import dataclass

GB = 1024**3
MINUTE = 60


@dataclass(frozen=True)
class SafeArea:
    """Margins, in output pixels, that the platform's own UI covers."""

    top: int
    bottom: int
    left: int
    right: int


@dataclass(frozen=True)
class VideoPreset:
    name: str
    label: str
    width: int
    height: int
    frame_rate: float  # the highest rate the export keeps
    profile: str  # H.264 profile
    level: str  # H.264 level
    video_bitrate: int  # bits per second, average
    max_bitrate: int  # bits per second, VBV ceiling (buffer: twice this)
    audio_bitrate: int  # AAC, bits per second
    sample_rate: int
    max_seconds: int | None
    max_bytes: int | None
    cover_width: int
    cover_height: int
    safe_area: SafeArea
    requires_subtitles: bool
    loudness_lufs: float
    true_peak_dbtp: float = -1.0
    x264_preset: str = "veryfast"  # house: speed over size; platforms re-encode
    platform: bool = True  # posted to a platform account, not played by our screens
    # The post's text, every character counted as the upload forms count
    # them; 0: no limit.
    title_chars: int = 0
    title_min_chars: int = 0
    caption_chars: int = 0  # the description with its #话题 and the link
    max_topics: int = 0

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)


@dataclass(frozen=True)
class LoudnessTarget:
    name: str
    label: str
    integrated_lufs: float
    true_peak_dbtp: float
    lra: float  # loudness range loudnorm aims for; wider sources keep theirs


# Vertical 9:16 feeds. The safe areas are house estimates read off the apps'
# overlays at 1080x1920: status bar and top tabs; caption, music line and tab
# bar at the bottom; Douyin's and Kuaishou's like/comment/share column on the
# right. Subtitles are house policy on feed platforms (feeds start muted).
DOUYIN = VideoPreset(
    name="douyin",
    label="抖音",
    # 1080x1920 9:16 recommended, 720p minimum; H.264 High in MP4.
    width=1080,
    height=1920,
    frame_rate=30,
    profile="high",
    level="4.1",
    # Upload guides recommend >= 6 Mbps at 1080p; 10 Mbps ceiling is house.
    video_bitrate=6_000_000,
    max_bitrate=10_000_000,
    audio_bitrate=128_000,
    sample_rate=48_000,
    # 15 min: the app upload limit quoted for ordinary accounts (the web
    # creator centre takes longer files); 4 GB: the size guides advise.
    max_seconds=15 * MINUTE,
    max_bytes=4 * GB,
    # Creator centre asks for a 3:4 vertical cover (and a 4:3 horizontal one).
    cover_width=1080,
    cover_height=1440,
    safe_area=SafeArea(top=220, bottom=420, left=60, right=180),
    requires_subtitles=True,
    loudness_lufs=-16,  # house: the short_video target below
    title_chars=30,  # 作品标题 on the creator centre's upload form
    caption_chars=1000,  # 作品简介
    max_topics=5,  # house: the app takes more; guides advise at most 5
)

KUAISHOU = VideoPreset(
    name="kuaishou",
    label="快手",
    width=1080,
    height=1920,
    frame_rate=30,
    profile="high",
    level="4.1",
    video_bitrate=6_000_000,  # as Douyin: guides recommend 1080p at >= 6 Mbps
    max_bitrate=10_000_000,  # house
    audio_bitrate=128_000,
    sample_rate=48_000,
    # 10 min: the app limit most often quoted (longer needs permissions).
    max_seconds=10 * MINUTE,
    max_bytes=4 * GB,  # the stricter of the quoted web/app limits
    cover_width=1080,  # 3:4, the profile grid's crop
    cover_height=1440,
    safe_area=SafeArea(top=200, bottom=380, left=60, right=170),
    requires_subtitles=True,
    loudness_lufs=-16,
    # One description field, its first line shown as the title; house: a
    # 30-字 first line, as Douyin's title, and the 500 字 the app quotes.
    title_chars=30,
    caption_chars=500,
    max_topics=5,  # house, as Douyin
)

WECHAT_CHANNELS = VideoPreset(
    name="wechat_channels",
    label="视频号",
    width=1080,
    height=1920,
    frame_rate=30,
    profile="high",
    level="4.1",
    video_bitrate=6_000_000,  # house: same as the other vertical feeds
    max_bitrate=10_000_000,
    audio_bitrate=128_000,
    sample_rate=48_000,
    # 1 h and 4 GB: the phone upload limits quoted (web upload takes more).
    max_seconds=60 * MINUTE,
    max_bytes=4 * GB,
    # 6:7: the crop the Channels feed shows a vertical video and its cover at.
    cover_width=1080,
    cover_height=1260,
    # Actions sit in the bottom bar, not in a right-hand column.
    safe_area=SafeArea(top=160, bottom=380, left=60, right=60),
    requires_subtitles=True,
    loudness_lufs=-16,
    title_min_chars=6,  # 短标题: 6 to 16 字 on the upload form
    title_chars=16,
    caption_chars=1000,  # 描述
    max_topics=5,  # house, as Douyin
)

# Horizontal 16:9 players. Safe areas: the 5 % title-safe margin of broadcast
# practice (EBU R 95), with more at the bottom for the player's progress bar.
BILIBILI = VideoPreset(
    name="bilibili",
    label="哔哩哔哩",
    width=1920,
    height=1080,
    frame_rate=30,  # house: the site takes up to 120, 30 keeps sources' rates
    profile="high",
    level="4.1",
    # 1080p uploads above ~6 Mbps are re-compressed harder, guides say; 8 Mbps
    # average (house) with a 12 Mbps ceiling leaves detail for that encode.
    video_bitrate=8_000_000,
    max_bitrate=12_000_000,
    audio_bitrate=192_000,
    sample_rate=48_000,
    max_seconds=10 * 60 * MINUTE,  # web upload: 10 h, 8 GB
    max_bytes=8 * GB,
    cover_width=1920,  # 16:10, the cover ratio the upload page asks for
    cover_height=1200,
    safe_area=SafeArea(top=54, bottom=108, left=96, right=96),
    requires_subtitles=False,
    loudness_lufs=-16,
    title_chars=80,  # 标题 on the upload page
    caption_chars=2000,  # 简介
    max_topics=10,  # 标签: at most 10 on the upload page
)

TOUTIAO = VideoPreset(
    name="toutiao",
    label="今日头条",
    # Toutiao / Xigua favour horizontal 16:9 long-form video.
    width=1920,
    height=1080,
    frame_rate=30,
    profile="high",
    level="4.1",
    video_bitrate=6_000_000,  # house: as the other 1080p presets
    max_bitrate=10_000_000,
    audio_bitrate=192_000,
    sample_rate=48_000,
    max_seconds=60 * MINUTE,  # the stricter of the quoted limits
    max_bytes=4 * GB,
    cover_width=1280,  # 16:9 cover; 1280x720 is the size guides recommend
    cover_height=720,
    safe_area=SafeArea(top=54, bottom=108, left=96, right=96),
    requires_subtitles=False,
    loudness_lufs=-16,
    title_min_chars=5,  # 标题: 5 to 30 字 on the upload page
    title_chars=30,
    caption_chars=400,  # house: the stricter of the quoted 简介 limits
    max_topics=5,  # house, as Douyin
)

# Big screens in public places (house): full HD at 25 fps, the rate of
# Chinese broadcast and of most LED controllers; no length or size limit;
# EBU R 95 title-safe margins; subtitles because screens often play muted;
# the broadcast loudness norm because they are broadcast-like.
SCREEN_LANDSCAPE = VideoPreset(
    name="screen_landscape",
    label="大屏（横）",
    width=1920,
    height=1080,
    frame_rate=25,
    profile="high",
    level="4.1",
    video_bitrate=8_000_000,
    max_bitrate=12_000_000,
    audio_bitrate=192_000,
    sample_rate=48_000,
    max_seconds=None,
    max_bytes=None,
    cover_width=1920,
    cover_height=1080,
    safe_area=SafeArea(top=54, bottom=54, left=96, right=96),
    requires_subtitles=True,
    loudness_lufs=-24,
    true_peak_dbtp=-2.0,
    platform=False,
)

PRESETS: dict[str, VideoPreset] = {
    preset.name: preset
    for preset in (
        DOUYIN,
        KUAISHOU,
        WECHAT_CHANNELS,
        BILIBILI,
        TOUTIAO,
        SCREEN_LANDSCAPE,
    )
}

LOUDNESS_TARGETS: dict[str, LoudnessTarget] = {
    target.name: target
    for target in (
        # GY/T 282, China's broadcast loudness norm: -24 LKFS, true peak at
        # most -2 dBTP. Loudness range: house.
        LoudnessTarget("gy_t_282", "广电 GY/T 282", -24, -2.0, 15),
        # EBU R 128: -23 LUFS, -1 dBTP. Loudness range: house.
        LoudnessTarget("ebu_r128", "EBU R 128", -23, -1.0, 15),
        # Podcasts: -16 LUFS, -1 dBTP, the figure podcast apps (Apple's
        # guidelines among them) recommend.
        LoudnessTarget("podcast", "播客", -16, -1.0, 11),
        # Short-video apps publish no norm; they play around -14 to -16.
        # House: -16, as podcasts, so one mix serves both.
        LoudnessTarget("short_video", "短视频", -16, -1.0, 11),
    )
}
