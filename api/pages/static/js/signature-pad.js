// A signature drawn with a finger, stylus or mouse on a canvas, given as PNG bytes (base64).
export class SignaturePad {
  constructor(canvas) {
    this.canvas = canvas;
    this.context = canvas.getContext("2d");
    this.drawn = false;
    this.last = null;
    this.clear();
    canvas.addEventListener("pointerdown", (event) => {
      canvas.setPointerCapture(event.pointerId);
      this.last = this.point(event);
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!this.last) return;
      const next = this.point(event);
      this.context.beginPath();
      this.context.moveTo(this.last.x, this.last.y);
      this.context.lineTo(next.x, next.y);
      this.context.stroke();
      this.last = next;
      this.drawn = true;
    });
    for (const end of ["pointerup", "pointercancel"]) {
      canvas.addEventListener(end, () => { this.last = null; });
    }
  }

  point(event) {
    const box = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) * this.canvas.width) / box.width,
      y: ((event.clientY - box.top) * this.canvas.height) / box.height,
    };
  }

  clear() {
    const { context, canvas } = this;
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.strokeStyle = "#111";
    context.lineWidth = 4;
    context.lineCap = "round";
    this.drawn = false;
  }

  pngBase64() {
    return this.canvas.toDataURL("image/png").split(",", 2)[1];
  }
}
