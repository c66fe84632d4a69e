#!/usr/bin/env python3
"""The web page (GET /) in a real browser: headless Chromium driven by Selenium.

Starts the release server on a free loopback port with a temporary data folder, then, as a
person would: checks every control has a label and the keyboard reaches them in order, shows
that a bad upload brings the API's own error message, stylizes a photo with a style picked from
the previews (strength set with the arrow keys, submitted with Enter) and checks the result has
the photo's aspect ratio and a download link, takes a screenshot at phone width (no sideways
scrolling there), and learns a style with the quick preset, following the progress bar to 100%
and the new style into the picker, where a desktop-width screenshot shows it all. Then, against
a second server with ATELIER_API_TOKEN and ATELIER_READ_TOKEN set, it uses the page's token field
for reads (previews included) and for a write. The servers are stopped at the end, whatever
happens. Everything is bounded by --timeout seconds.

    scripts/test_web_page.py [--binary .build/release/atelier] [--models data/models]
        [--photos data/test-photos] [--screenshots DIR] [--logs DIR] [--timeout 180]

Needs chromium, chromium-driver and selenium (scripts/install_browser_test_deps.sh).
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
import uuid

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

PHONE = (390, 844)      # a common phone's CSS viewport
READ_TOKEN, API_TOKEN = "read-secret", "write-secret"
DESKTOP = (1280, 900)


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Deadline:
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self, at_most=None):
        left = self.end - time.monotonic()
        if left <= 0:
            raise Failure("out of time (--timeout)")
        return min(left, at_most) if at_most else left


class Server:
    """`atelier serve` on a free loopback port, its output in a log file."""

    def __init__(self, binary, models, photos, log_path, environment=None):
        self.data = tempfile.mkdtemp(prefix="atelier-web-test-")
        self.log = open(log_path, "w")
        with socket.socket() as probe:          # a port nobody holds now
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            [binary, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--data", self.data,
             "--models", models, "--training-photos", photos],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **(environment or {})})

    def url(self, deadline):
        """The base URL once /readyz answers (the models are loaded before the port opens)."""
        base = f"http://127.0.0.1:{self.port}"
        while self.process.poll() is None:
            try:
                with urllib.request.urlopen(base + "/readyz", timeout=5):
                    return base
            except OSError:
                time.sleep(0.2)
                deadline.left()
        raise Failure(f"the server exited with status {self.process.returncode}; see {self.log.name}")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.data, ignore_errors=True)


def api_error(base, path, files):
    """The error message the API itself answers to a multipart POST (what the page must show)."""
    boundary = uuid.uuid4().hex
    body = b""
    for field, (name, data) in files.items():
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(base + path, data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        urllib.request.urlopen(request, timeout=30)
    except urllib.error.HTTPError as error:
        return json.load(error)["error"]["message"]
    raise Failure(f"POST {path} with a text file was accepted")


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    check(head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG")
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def browser(chromium, chromedriver):
    options = Options()
    options.binary_location = chromium
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={DESKTOP[0]},{DESKTOP[1]}", "--hide-scrollbars", "--force-device-scale-factor=1"]:
        options.add_argument(argument)
    # The driver's path is given, so Selenium never tries to download one.
    return webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)


def emulate(driver, width, height, phone=False):
    """The viewport of a desktop window or a phone (mobile emulation honours the page's viewport tag)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": phone})


def screenshot(driver, path, width, height, phone=False):
    """The whole page at `width`: the viewport is grown to the page's height for the picture."""
    emulate(driver, width, height, phone)
    full = driver.execute_script("return document.documentElement.scrollHeight")
    emulate(driver, width, max(height, full), phone)
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(path)
    emulate(driver, width, height, phone)


def wait(driver, deadline, what, condition, at_most=60):
    try:
        return WebDriverWait(driver, deadline.left(at_most), poll_frequency=0.25).until(lambda d: condition(d))
    except Exception as error:
        raise Failure(f"waiting for {what}: {type(error).__name__}") from None


def run(args, deadline, server, driver, shots):
    base = server.url(deadline)
    js = driver.execute_script
    driver.get(base + "/")
    wait(driver, deadline, "the style picker", lambda d: d.find_elements(By.CSS_SELECTOR, '#styles input[name="style"]'))

    # Labels and keyboard order: every visible control has a label; Tab reaches the photo, the
    # chosen style, the folded group of the other model's styles, the settings and the button.
    unlabeled = js("""return [...document.querySelectorAll('input, select')]
        .filter(e => e.type !== 'hidden' && e.labels.length === 0).map(e => e.id || e.name)""")
    check(not unlabeled, f"controls without a label: {unlabeled}")
    js("document.activeElement.blur(); window.scrollTo(0, 0)")
    focused = []
    for _ in range(8):
        ActionChains(driver).send_keys(Keys.TAB).perform()   # to whatever has focus, as a person's key would
        focused.append(js("const e = document.activeElement; return e.id || e.name || e.tagName"))
    order = ["photo", "style", "SUMMARY", "strength", "max-size", "preserve-color", "stylize"]
    check(focused[:len(order)] == order, f"Tab order {focused[:len(order)]}, expected {order}")

    # Built-in styles show previews painted by the server.
    first = driver.find_element(By.CSS_SELECTOR, "#styles .style img")
    wait(driver, deadline, "the first style preview", lambda d: js("return arguments[0].naturalWidth", first) > 0)
    check(js("return arguments[0].naturalWidth", first) == 128, "a preview is 128 px wide")

    # A file that is not an image: the page shows the API's own message.
    bad = os.path.join(tempfile.gettempdir(), f"atelier-not-a-photo-{os.getpid()}.txt")
    with open(bad, "w") as f:
        f.write("not a photo\n")
    try:
        expected = api_error(base, "/stylize?style=0", {"image": ("notes.txt", b"not a photo\n")})
        driver.find_element(By.ID, "photo").send_keys(bad)
        driver.find_element(By.ID, "stylize").click()
        error = driver.find_element(By.ID, "stylize-error")
        wait(driver, deadline, "the error message", lambda d: error.is_displayed() and error.text)
        check(error.text == expected, f"error shown {error.text!r}, the API says {expected!r}")
    finally:
        os.remove(bad)

    # The photo, a style chosen with the keyboard, strength 90% by two presses of the left arrow.
    photo = os.path.abspath(args.photo)
    width, height = png_size(photo)
    driver.find_element(By.ID, "photo").send_keys(photo)
    original = driver.find_element(By.ID, "original")
    wait(driver, deadline, "the original", lambda d: js("return arguments[0].naturalWidth", original) == width)
    choice = driver.find_element(By.CSS_SELECTOR, f'#styles input[value="{args.style}"]')
    js("arguments[0].focus()", choice)
    driver.switch_to.active_element.send_keys(Keys.SPACE)
    check(choice.is_selected(), f"style {args.style} is selected")
    strength = driver.find_element(By.ID, "strength")
    strength.send_keys(Keys.LEFT, Keys.LEFT)
    check(driver.find_element(By.ID, "strength-value").text == "90%", "strength shows 90%")
    driver.find_element(By.ID, "stylize").send_keys(Keys.ENTER)
    result = driver.find_element(By.ID, "result")
    wait(driver, deadline, "the stylized image", lambda d: result.is_displayed() and js("return arguments[0].naturalWidth", result) > 0)
    check(not driver.find_element(By.ID, "stylize-error").is_displayed(), "no error after stylizing")
    out_w, out_h = js("return [arguments[0].naturalWidth, arguments[0].naturalHeight]", result)
    check(abs(out_w / out_h - width / height) < 0.01, f"result {out_w}×{out_h} keeps the photo's {width}×{height} aspect ratio")
    download = driver.find_element(By.ID, "download")
    check(download.is_displayed() and download.get_attribute("href").startswith("blob:"), "a download link to the result")
    check(download.get_attribute("download").endswith(".png"), f"download name {download.get_attribute('download')!r}")
    print(f"web page: stylized {width}×{height} into {out_w}×{out_h} ({driver.find_element(By.ID, 'stylize-status').text})")

    emulate(driver, *PHONE, phone=True)
    overflow = js("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    check(overflow <= 0, f"the page scrolls sideways by {overflow} px at phone width")
    screenshot(driver, os.path.join(shots, "web-page-phone.png"), *PHONE, phone=True)
    emulate(driver, *DESKTOP)

    # Learning a style with the quick preset: the progress bar reaches 100% and the new style is picked.
    driver.find_element(By.ID, "painting").send_keys(os.path.abspath(args.painting))
    driver.find_element(By.ID, "style-name").send_keys("web-test")
    Select(driver.find_element(By.ID, "learn-model")).select_by_value("stylebank")
    Select(driver.find_element(By.ID, "preset")).select_by_value("quick")
    driver.find_element(By.ID, "learn").click()
    progress = driver.find_element(By.ID, "progress")
    seen = []

    def finished(_):
        value = int(progress.get_attribute("value"))
        if not seen or seen[-1] != value:
            seen.append(value)
        learn_error = driver.find_element(By.ID, "learn-error")
        if learn_error.is_displayed():
            raise Failure(f"learning failed: {learn_error.text}")
        return value == 100

    started = time.monotonic()
    wait(driver, deadline, "the progress bar to reach 100%", finished, at_most=deadline.left())
    check(seen == sorted(seen), f"progress never goes back: {seen}")
    check(any(0 < v < 100 for v in seen), f"the bar moves through values between 0 and 100: {seen}")
    learned = wait(driver, deadline, "the learned style in the picker",
                   lambda d: d.find_elements(By.CSS_SELECTOR, '#styles input[name="style"]:checked:not(:disabled)'))[0]
    label = learned.find_element(By.XPATH, "..").text
    check("web-test" in label, f"the learned style is selected (selected: {label!r})")
    print(f"web page: learned a style in {time.monotonic() - started:.0f} s, progress {seen}")
    screenshot(driver, os.path.join(shots, "web-page.png"), *DESKTOP)


def run_with_tokens(args, deadline, server, driver):
    """With both tokens set: the page loads, says the styles need a token, loads them (previews
    fetched with it) once the read token is typed, refuses a write with it, and registers a
    painting (magenta, ready at once) with the API token."""
    base = server.url(deadline)
    js = driver.execute_script
    driver.get(base + "/")
    styles_error = driver.find_element(By.ID, "styles-error")
    wait(driver, deadline, "the styles' 401", lambda d: styles_error.is_displayed() and "Authorization: Bearer" in styles_error.text)
    token = driver.find_element(By.ID, "token")
    token.send_keys(READ_TOKEN, Keys.TAB)          # the change event reloads the styles
    first = wait(driver, deadline, "the styles with the read token",
                 lambda d: d.find_elements(By.CSS_SELECTOR, "#styles .style img"))[0]
    check(not styles_error.is_displayed(), "the styles' error is gone")
    wait(driver, deadline, "a preview fetched with the token", lambda d: js("return arguments[0].naturalWidth", first) == 128)

    learn_models = [o.get_attribute("value") for o in Select(driver.find_element(By.ID, "learn-model")).options]
    if "magenta" not in learn_models:
        print(f"web page: no magenta model in {args.models}; token write check skipped")
        return
    driver.find_element(By.ID, "painting").send_keys(os.path.abspath(args.painting))
    Select(driver.find_element(By.ID, "learn-model")).select_by_value("magenta")
    driver.find_element(By.ID, "style-name").send_keys("with-token")
    driver.find_element(By.ID, "learn").click()
    learn_error = driver.find_element(By.ID, "learn-error")
    wait(driver, deadline, "the write's 401", lambda d: learn_error.is_displayed() and "not valid for changing state" in learn_error.text)
    token.clear()
    token.send_keys(API_TOKEN)
    driver.find_element(By.ID, "learn").click()
    progress = driver.find_element(By.ID, "progress")
    wait(driver, deadline, "the registered style", lambda d: progress.get_attribute("value") == "100")
    check(not learn_error.is_displayed(), f"no error with the API token: {learn_error.text}")
    learned = wait(driver, deadline, "the registered style selected",
                   lambda d: d.find_elements(By.CSS_SELECTOR, '#styles input[value^="magenta:"]:checked'))[0]
    print(f"web page: with tokens, read and registered {learned.get_attribute('value')}")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=os.path.join(root, ".build/release/atelier"))
    parser.add_argument("--models", default=os.path.join(root, "data/models"))
    parser.add_argument("--photos", default=os.path.join(root, "data/test-photos"),
                        help="folder of photos to train on; holds the photo and the painting too")
    parser.add_argument("--photo", help="the PNG to stylize (default PHOTOS/chelsea.png)")
    parser.add_argument("--painting", help="the image to learn a style from (default PHOTOS/coffee.png)")
    parser.add_argument("--style", default="stylebank:3", help="MODEL:ID of the style to pick")
    parser.add_argument("--screenshots", default=os.path.join(root, ".cache/web-page"),
                        help="where web-page.png and web-page-phone.png go")
    parser.add_argument("--logs", default=os.path.join(root, ".cache/web-page"),
                        help="where the server's log and, on failure, failure.png go")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    parser.add_argument("--timeout", type=float, default=180)
    args = parser.parse_args()
    args.photo = args.photo or os.path.join(args.photos, "chelsea.png")
    args.painting = args.painting or os.path.join(args.photos, "coffee.png")
    os.makedirs(args.screenshots, exist_ok=True)
    os.makedirs(args.logs, exist_ok=True)

    # SIGTERM (a CI timeout) unwinds like an exception, so the finally below stops the server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("web page: terminated"))
    deadline = Deadline(args.timeout)
    servers = []
    driver = None
    try:
        driver = browser(args.chromium, args.chromedriver)
        servers.append(Server(args.binary, args.models, args.photos, os.path.join(args.logs, "server.log")))
        run(args, deadline, servers[-1], driver, args.screenshots)
        servers.append(Server(args.binary, args.models, args.photos, os.path.join(args.logs, "server-tokens.log"),
                              {"ATELIER_API_TOKEN": API_TOKEN, "ATELIER_READ_TOKEN": READ_TOKEN}))
        emulate(driver, *DESKTOP)
        run_with_tokens(args, deadline, servers[-1], driver)
        print(f"web page: passed (screenshots in {args.screenshots})")
        return 0
    except Exception as failure:   # a Failure, or Selenium's own (an element missing, a dead browser)
        if not isinstance(failure, Failure):
            traceback.print_exc()
        if driver:
            driver.save_screenshot(os.path.join(args.logs, "failure.png"))
        print(f"web page: FAILED: {failure} (screenshot failure.png and server.log in {args.logs})", file=sys.stderr)
        return 1
    finally:
        if driver:
            driver.quit()
        for server in servers:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
